package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// show returns path as it goes into a one-line message: as is, or Go-quoted when quoting
// changes it (a newline, which would split the line, a control character, a quote or a
// backslash), as cmd/train and mnist show paths.
func show(path string) string {
	if q := strconv.Quote(path); q[1:len(q)-1] != path {
		return q
	}
	return path
}

// fileError is err about the file at path, prefixed "checkpoint PATH: ". An *fs.PathError
// gives only its cause, as the prefix already names the file.
func fileError(path string, err error) error {
	return fmt.Errorf("checkpoint %s: %w", show(path), pathless(err))
}

// pathless returns the cause of an *fs.PathError or *os.LinkError, else err: they name
// their paths unquoted, and the message names the file already.
func pathless(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	if le, ok := errors.AsType[*os.LinkError](err); ok {
		return le.Err
	}
	return err
}

// notRegular says what a file of mode m is instead of a regular file.
func notRegular(m fs.FileMode) error {
	what := "not a regular file (" + m.Type().String() + ")"
	switch {
	case m.IsDir():
		return errors.New("is a directory")
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	default:
		return errors.New("is " + what)
	}
	return errors.New("is " + what + ", not a regular file")
}
