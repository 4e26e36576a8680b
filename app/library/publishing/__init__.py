"""Publishing from the creator's machine, Qt-free: a folder's files with their media facts (``scan_folder``), the
request and its checks (``PublishRequest``), and the resumable job (``Publisher``) that encrypts, makes the
hybrid torrent, seeds it and sends it to the store over the creator API. Workers call it; the UI shows progress.
"""

from app.library.publishing.errors import PublishCancelled, PublishError, PublishInputError
from app.library.publishing.facts import FASTSTART_FIX, FileFacts, moov_before_mdat, scan_folder
from app.library.publishing.job import BundleKeyStore, Publisher, top_name_of
from app.library.publishing.request import PublishRequest, TierChoice

__all__ = [
    "FASTSTART_FIX",
    "BundleKeyStore",
    "FileFacts",
    "PublishCancelled",
    "PublishError",
    "PublishInputError",
    "PublishRequest",
    "Publisher",
    "TierChoice",
    "moov_before_mdat",
    "scan_folder",
    "top_name_of",
]
