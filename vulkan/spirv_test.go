package vulkan

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReflectRejectsNonScalarPush(t *testing.T) {
	// A minimal module: header + OpTypeVector-free struct of a 64-bit float member.
	w := []uint32{spirvMagic, 0x00010300, 0, 100, 0,
		3<<16 | opTypeFloat, 1, 64, // %1 = OpTypeFloat 64
		3<<16 | opTypeStruct, 2, 1, // %2 = OpTypeStruct %1
		5<<16 | opMemberDecorate, 2, 0, decorationOffset, 0,
		4<<16 | opTypePointer, 3, storagePushConst, 2,
		4<<16 | opVariable, 3, 4, storagePushConst,
	}
	code := unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*len(w))
	_, err := Reflect("wide", code)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a 32-bit scalar")
}
