"""Sites and sync in the window: the Sync button and background sync (``control``), the sync
child process (``runner``), Clinic > Conflicts (``conflicts``), duplicate patients offered for
merging (``duplicates``) and Admin > Sites and sync (``sites``)."""
