"""The creator's pages: Publish (folder → files with media facts → gate → preview → progress) and Dashboard
(figures, plots per day, subscribers as CSV). Qt widgets; their work runs on the task runner's workers."""
