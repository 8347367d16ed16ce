"""Leaves the fuse-overlayfs and stargz snapshotters out of buildkitd's OCI worker (not packaged in
Debian, or built against containerd 1.x); neither is used with the overlayfs snapshotter.
Fails, naming the file, when the source no longer has the shape this edit expects."""
import re, sys
path = sys.argv[1]
src = open(path).read()
orig = src
# imports
src = re.sub(r'^\t(fuseoverlayfs|sgz\w+|remotesn) "github.com/containerd/(fuse-overlayfs-snapshotter|stargz-snapshotter)[^"]*"\n', '', src, flags=re.M)
# auto: overlayfs, else native
src, n1 = re.subn(r'(\t\t\tbklog\.L\.Debugf\("auto snapshotter: overlayfs is not available for %s, )trying fuse-overlayfs: %v", commonRoot, err\)\n\t\t\tif err2 := fuseoverlayfs\.Supported\(commonRoot\); err2 == nil \{\n\t\t\t\tname = "fuse-overlayfs"\n\t\t\t\} else \{\n\t\t\t\tbklog\.L\.Debugf\("auto snapshotter: fuse-overlayfs is not available for %s, falling back to native: %v", commonRoot, err2\)\n\t\t\t\tname = "native"\n\t\t\t\}\n',
                  r'\1falling back to native: %v", commonRoot, err)\n\t\t\tname = "native"\n', src)
# the two cases, up to default:
src, n2 = re.subn(r'\tcase "fuse-overlayfs":\n.*?(?=\tdefault:\n)', '', src, flags=re.S)
# the stargz session helpers at the end of the file
i = src.find('\nconst (\n\t// targetRefLabel')
n3 = 1 if i >= 0 else 0
if i >= 0:
    src = src[:i + 1]
# Imports only the removed code used: Go refuses an unused import.
head, sep, body = src.partition('\n)\n')
def used(line):
    m = re.match(r'^\t(?:(\w+) )?"([^"]+)"$', line)
    if not m:
        return True
    name = m.group(1) or re.sub(r'^go-', '', re.sub(r'/v\d+$', '', m.group(2)).rsplit('/', 1)[-1])
    return re.search(r'\b' + re.escape(name) + r'\.', body) is not None
head = '\n'.join(l for l in head.split('\n') if used(l))
src = head + sep + body
if (n1, n2, n3) != (1, 1, 1) or '"github.com/containerd/stargz-snapshotter' in src:
    sys.exit(f"patch_worker: {path} no longer has the expected shape (auto={n1} cases={n2} helpers={n3}); update the recipe")
open(path, 'w').write(src)
