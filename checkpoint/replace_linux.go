package checkpoint

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Inode flags of FS_IOC_GETFLAGS (linux/fs.h).
const (
	fsImmutableFL = 0x10
	fsAppendFL    = 0x20
)

// checkReplaceable refuses an existing file that a rename cannot replace: immutable or
// append-only (chattr +i, +a), which fails even for root. A file system without these
// flags cannot have them set.
func checkReplaceable(file string) error {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil // a permission problem shows when the temporary file is made
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	switch {
	case err != nil:
		return nil
	case flags&fsImmutableFL != 0:
		return errors.New("is immutable (chattr +i), so a save cannot replace it")
	case flags&fsAppendFL != 0:
		return errors.New("is append-only (chattr +a), so a save cannot replace it")
	}
	return nil
}
