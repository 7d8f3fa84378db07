"""The scratch directory of a snapshot holder, kept and put back for each child.

Every child of a holder shares its scratch tmpfs. What the holder's
statements wrote there (and the links to the document's folder) is recorded
once; each child first puts the directory back exactly so, which removes
whatever an earlier child wrote. Children run one at a time.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

# Below the holder's 16 MiB tmpfs: a state this large may have met a full disk.
MAX_BYTES = 12 * 1024 * 1024

Entry = tuple[str, bytes]  # ("dir" | "link" | "file", link target or contents)


class ScratchTooLarge(Exception):
    """The holder's statements left more in scratch than a snapshot keeps."""


@dataclass
class Scratch:
    root: str
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def take(cls, root: str) -> Scratch:
        scratch = cls(root)
        disk = os.statvfs(root)
        if (disk.f_blocks - disk.f_bfree) * disk.f_frsize > MAX_BYTES:  # open or unlinked files too
            raise ScratchTooLarge(f"more than {MAX_BYTES >> 20} MiB in the work dir")
        size = 0
        for folder, dirs, files in os.walk(root):
            for name in [*dirs, *files]:
                path = os.path.join(folder, name)
                entry = _entry(path)
                size += len(entry[1])
                if size > MAX_BYTES:
                    raise ScratchTooLarge(f"more than {MAX_BYTES >> 20} MiB in the work dir")
                scratch.entries[os.path.relpath(path, root)] = entry
        return scratch

    def restore(self) -> None:
        """Remove what is not recorded, then put back what differs or is missing."""
        for folder, dirs, files in os.walk(self.root, topdown=False):
            for name in [*files, *dirs]:
                path = os.path.join(folder, name)
                want = self.entries.get(os.path.relpath(path, self.root))
                have = _entry(path, with_contents=want is not None and want[0] == "file")
                if want == have:
                    continue
                if have[0] == "dir" and (want is None or want[0] != "dir"):
                    shutil.rmtree(path)
                elif have[0] != "dir":
                    os.unlink(path)
        for relative, (kind, data) in sorted(self.entries.items()):
            path = os.path.join(self.root, relative)
            if os.path.lexists(path):
                continue
            if kind == "dir":
                os.mkdir(path)
            elif kind == "link":
                os.symlink(data, path)
            else:
                with open(path, "wb") as handle:
                    handle.write(data)


def _entry(path: str, with_contents: bool = True) -> Entry:
    if os.path.islink(path):
        return "link", os.fsencode(os.readlink(path))
    if os.path.isdir(path):
        return "dir", b""
    if not with_contents:
        return "file", b"?"
    with open(path, "rb") as handle:
        return "file", handle.read(MAX_BYTES + 1)
