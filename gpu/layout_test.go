package gpu

import (
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/shaders"
	"github.com/vkcnn/vkcnn/vulkan"
)

// shaderInterfaces lists every shader with what the host gives it: the Go struct that
// mirrors its push-constant block, the number of buffer bindings, and the binding of the
// Control buffer (-1: none).
var shaderInterfaces = map[string]struct {
	push              any
	bindings, control int
}{
	"relu_forward":                  {nParams{}, 2, -1},
	"relu_backward":                 {nParams{}, 3, -1},
	"sigmoid_forward":               {nParams{}, 2, -1},
	"sigmoid_backward":              {nParams{}, 3, -1},
	"conv2d_forward":                {convParams{}, 4, -1},
	"conv2d_backward_data":          {convParams{}, 4, -1},
	"conv2d_backward_filter":        {convShapeParams{}, 4, -1},
	"conv2d_backward_filter_serial": {convShapeParams{}, 4, -1},
	"maxpool_forward":               {poolParams{}, 3, -1},
	"maxpool_backward":              {poolBackwardParams{}, 4, -1},
	"minpool_forward":               {poolParams{}, 3, -1},
	"avgpool_forward":               {poolParams{}, 2, -1},
	"avgpool_backward":              {poolBackwardParams{}, 3, -1},
	"dropout_forward":               {dropoutParams{}, 3, 2},
	"dropout_backward":              {dropoutBackwardParams{}, 4, 2},
	"dense_forward":                 {denseParams{}, 4, -1},
	"dense_backward_data":           {denseParams{}, 4, -1},
	"dense_backward_weights":        {denseShapeParams{}, 4, -1},
	"softmax_cross_entropy":         {softmaxParams{}, 5, -1},
	"sgd_update":                    {sgdParams{}, 5, 4},
	"gather_batch":                  {gatherParams{}, 6, 5},
	"step_stats":                    {stepStatsParams{}, 4, 3},
	"advance_step":                  {advanceParams{}, 1, 0},
}

// field is a member of a Go struct or of a GLSL block: its name and its member
// description (for GLSL, the type only).
type field struct {
	name string
	m    vulkan.Member
}

// goFields lists v's struct fields in memory order, embedded structs flattened, each with
// its byte offset, size and type as the SPIR-V reflection names them.
func goFields(v any) []field {
	var out []field
	var walk func(t reflect.Type, base uintptr)
	walk = func(t reflect.Type, base uintptr) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type, base+f.Offset)
				continue
			}
			typ := map[reflect.Kind]string{reflect.Uint32: "uint", reflect.Int32: "int", reflect.Float32: "float"}[f.Type.Kind()]
			if typ == "" {
				typ = "other"
			}
			out = append(out, field{f.Name, vulkan.Member{Offset: int(base + f.Offset), Size: int(f.Type.Size()), Type: typ}})
		}
	}
	walk(reflect.TypeOf(v), 0)
	return out
}

// glslBlock returns the members of the block that pattern (a regexp whose group 1 is the
// text between the block's braces) finds in the GLSL file path, in declaration order, each
// with its name and its type ("uint", "int", "float"). SPIR-V compiled with -O keeps no
// member names, so only the source can tell two members of one type apart.
func glslBlock(t *testing.T, path, pattern string) []field {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	noComments := regexp.MustCompile(`//[^\n]*`).ReplaceAllString(string(src), "")
	m := regexp.MustCompile(pattern).FindStringSubmatch(noComments)
	require.NotNil(t, m, "%s: no block matching %s", path, pattern)
	var out []field
	for _, decl := range strings.Split(m[1], ";") {
		words := strings.Fields(strings.ReplaceAll(decl, ",", " "))
		if len(words) == 0 {
			continue
		}
		for _, name := range words[1:] {
			out = append(out, field{name, vulkan.Member{Type: words[0]}})
		}
	}
	return out
}

// checkBlock compares a block's members as the SPIR-V has them (offsets and types), as the
// GLSL declares them (names and types) and as the Go struct lays them out, member by member.
func checkBlock(t *testing.T, what string, spv []vulkan.Member, glsl, goStruct []field) {
	t.Helper()
	if !assert.Equal(t, len(spv), len(goStruct), "%s: SPIR-V members vs Go fields", what) ||
		!assert.Equal(t, len(glsl), len(goStruct), "%s: GLSL members vs Go fields", what) {
		return
	}
	for i, g := range goStruct {
		assert.Equal(t, spv[i].String(), g.m.String(), "%s member %d: SPIR-V vs Go field %s", what, i, g.name)
		assert.True(t, strings.EqualFold(glsl[i].name, g.name), "%s member %d: GLSL %s %s vs Go field %s", what, i, glsl[i].m.Type, glsl[i].name, g.name)
		assert.Equal(t, glsl[i].m.Type, g.m.Type, "%s member %d (%s): GLSL vs Go type", what, i, g.name)
	}
}

// Every embedded shader's push-constant block is its Go struct member by member: the same
// offsets, sizes and types in the SPIR-V, the same names (up to case) in the GLSL, and the
// same size; the host passes the number of bindings the shader declares, and the Control
// block, where a shader has one, is gpu.Control likewise. Needs no device.
func TestPushConstantsMatchShaders(t *testing.T) {
	files, err := fs.Glob(shaders.FS, "*.spv")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ctrlGLSL := glslBlock(t, "../shaders/common/control.glsl", `buffer\s+Control\s*\{([^}]*)\}`)
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".spv")
		seen[name] = true
		want, ok := shaderInterfaces[name]
		if !assert.True(t, ok, "shader %s has no Go push-constant struct listed", name) {
			continue
		}
		code, err := fs.ReadFile(shaders.FS, f)
		require.NoError(t, err)
		l, err := vulkan.Reflect(name, code)
		require.NoError(t, err, name)
		glsl := glslBlock(t, "../shaders/"+name+".comp", `layout\(push_constant\)\s*uniform\s+\w+\s*\{([^}]*)\}`)
		checkBlock(t, name+" push constants", l.Push, glsl, goFields(want.push))
		assert.Equal(t, int(reflect.TypeOf(want.push).Size()), l.PushSize, "%s push-constant block size", name)
		assert.Equal(t, want.bindings, l.Bindings, "%s bindings", name)
		if want.control >= 0 {
			checkBlock(t, fmt.Sprintf("%s Control (binding %d)", name, want.control), l.Blocks[want.control], ctrlGLSL, goFields(Control{}))
		}
	}
	for name := range shaderInterfaces {
		assert.True(t, seen[name], "%s.spv is not embedded", name)
	}
	assert.Equal(t, ControlSize, int(unsafe.Sizeof(Control{})))
}
