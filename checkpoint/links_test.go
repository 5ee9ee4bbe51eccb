package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResolveFollowsAsManyLinksAsLinux: Linux follows a chain of 40 symbolic links and
// refuses 41 (ELOOP); resolve must agree, or a path the kernel opens is refused.
func TestResolveFollowsAsManyLinksAsLinux(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "m.safetensors")
	require.NoError(t, os.WriteFile(target, []byte("x"), 0o600))
	chain := func(n int) string {
		prev := target
		for i := range n {
			link := filepath.Join(dir, fmt.Sprintf("n%d-l%d", n, i))
			require.NoError(t, os.Symlink(prev, link))
			prev = link
		}
		return prev
	}
	forty := chain(maxLinks)
	_, err := os.Stat(forty)
	require.NoError(t, err, "the kernel follows %d links", maxLinks)
	got, err := resolve(forty)
	require.NoError(t, err)
	require.Equal(t, target, got)

	_, err = resolve(chain(maxLinks + 1))
	require.ErrorContains(t, err, "more than 40 symbolic links")
}
