//go:build !linux

package checkpoint

// checkReplaceable: file flags that stop a rename are only checked on Linux.
func checkReplaceable(file string) error { return nil }
