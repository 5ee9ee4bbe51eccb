package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode"
)

// show returns path as it goes into a one-line message: as is, or quoted when it holds a
// character that is not printable (a newline would split the line).
func show(path string) string {
	if strings.ContainsFunc(path, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(path)
	}
	return path
}

// fileError is err about the file at path, prefixed "checkpoint PATH: ". An *fs.PathError
// gives only its cause, as the prefix already names the file.
func fileError(path string, err error) error {
	return fmt.Errorf("checkpoint %s: %w", show(path), pathless(err))
}

// pathless returns the cause of an *fs.PathError (which names its path), else err.
func pathless(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
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
