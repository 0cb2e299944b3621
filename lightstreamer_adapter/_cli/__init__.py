"""The commands of ``python -m lightstreamer_adapter`` (private: see ``__main__``)."""
