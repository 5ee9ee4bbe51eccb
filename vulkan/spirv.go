package vulkan

import (
	"encoding/binary"
	"fmt"
)

// SPIR-V opcodes, decorations and storage classes the reflection below reads.
const (
	opTypeInt         = 21
	opTypeFloat       = 22
	opTypeArray       = 28
	opTypeRuntimeArr  = 29
	opTypeStruct      = 30
	opTypePointer     = 32
	opVariable        = 59
	opDecorate        = 71
	opMemberDecorate  = 72
	decorationBinding = 33
	decorationDescSet = 34
	decorationOffset  = 35
	storageUniform    = 2
	storagePushConst  = 9
	storageStorageBuf = 12
)

// Layout is what a compute shader's SPIR-V says about its interface: the number of
// set-0 buffer bindings (highest binding + 1), the push-constant block's size in bytes and
// members, and the members of the block bound at each binding.
type Layout struct {
	Bindings, PushSize int
	Push               []Member         // the push-constant block, in declaration order
	Blocks             map[int][]Member // binding → its buffer block's members
}

// Member is one member of a block: its byte offset, its size in bytes (a scalar's; 0 for
// an array or anything else) and its type: "uint", "int", "float", "array" (fixed or
// runtime) or "other".
type Member struct {
	Offset, Size int
	Type         string
}

// String reads e.g. "uint32 at byte 4" or "array at byte 0".
func (m Member) String() string {
	if m.Type == "array" || m.Type == "other" {
		return fmt.Sprintf("%s at byte %d", m.Type, m.Offset)
	}
	return fmt.Sprintf("%s%d at byte %d", m.Type, 8*m.Size, m.Offset)
}

// checkSPIRV reports whether code looks like a SPIR-V module.
func checkSPIRV(name string, code []byte) error {
	if len(code) < 20 || len(code)%4 != 0 || binary.LittleEndian.Uint32(code) != spirvMagic {
		return fmt.Errorf("vulkan: shader %s.spv is corrupt (%d bytes; want a multiple of 4 starting with magic 0x%08x)", name, len(code), spirvMagic)
	}
	return nil
}

// Reflect reads the interface of a compute shader's SPIR-V (name is for errors).
// Push-constant members must be 32-bit scalars (what Kernel supports); anything else is an
// error naming the shader.
func Reflect(name string, code []byte) (Layout, error) {
	if err := checkSPIRV(name, code); err != nil {
		return Layout{}, err
	}
	corrupt := func(why string) (Layout, error) {
		return Layout{}, fmt.Errorf("vulkan: shader %s.spv is corrupt: %s", name, why)
	}
	words := make([]uint32, len(code)/4)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(code[4*i:])
	}
	var (
		binding    = map[uint32]uint32{} // id → Binding
		set        = map[uint32]uint32{} // id → DescriptorSet
		offsets    = map[uint32]map[uint32]uint32{}
		scalarSize = map[uint32]int{}      // int/float type id → bytes
		typeName   = map[uint32]string{}   // type id → "uint", "int", "float", "array"
		members    = map[uint32][]uint32{} // struct id → member type ids
		pointee    = map[uint32]uint32{}   // pointer type id → pointee type id
		vars       [][3]uint32             // resultType, id, storage class
	)
	for i := 5; i < len(words); {
		n := int(words[i] >> 16)
		op := words[i] & 0xffff
		if n == 0 || i+n > len(words) {
			return corrupt(fmt.Sprintf("instruction at word %d runs past the end", i))
		}
		a := words[i+1 : i+n]
		switch {
		case op == opDecorate && len(a) >= 3 && a[1] == decorationBinding:
			binding[a[0]] = a[2]
		case op == opDecorate && len(a) >= 3 && a[1] == decorationDescSet:
			set[a[0]] = a[2]
		case op == opMemberDecorate && len(a) >= 4 && a[2] == decorationOffset:
			if offsets[a[0]] == nil {
				offsets[a[0]] = map[uint32]uint32{}
			}
			offsets[a[0]][a[1]] = a[3]
		case (op == opTypeInt || op == opTypeFloat) && len(a) >= 2:
			scalarSize[a[0]] = int(a[1] / 8)
			switch {
			case op == opTypeFloat:
				typeName[a[0]] = "float"
			case len(a) >= 3 && a[2] == 1:
				typeName[a[0]] = "int"
			default:
				typeName[a[0]] = "uint"
			}
		case (op == opTypeArray || op == opTypeRuntimeArr) && len(a) >= 2:
			typeName[a[0]] = "array"
		case op == opTypeStruct && len(a) >= 1:
			members[a[0]] = a[1:]
		case op == opTypePointer && len(a) >= 3:
			pointee[a[0]] = a[2]
		case op == opVariable && len(a) >= 3:
			vars = append(vars, [3]uint32{a[0], a[1], a[2]})
		}
		i += n
	}
	// block lists the members of the struct a pointer variable points to.
	block := func(ptrType uint32) ([]Member, bool) {
		st := pointee[ptrType]
		ms, ok := members[st]
		if !ok {
			return nil, false
		}
		out := make([]Member, len(ms))
		for m, t := range ms {
			off, ok := offsets[st][uint32(m)]
			if !ok {
				return nil, false
			}
			tn := typeName[t]
			if tn == "" {
				tn = "other"
			}
			out[m] = Member{Offset: int(off), Size: scalarSize[t], Type: tn}
		}
		return out, true
	}
	l := Layout{Blocks: map[int][]Member{}}
	for _, v := range vars {
		switch v[2] {
		case storageStorageBuf, storageUniform:
			b, ok := binding[v[1]]
			if !ok {
				continue
			}
			if set[v[1]] != 0 {
				return Layout{}, fmt.Errorf("vulkan: shader %s uses descriptor set %d; the host binds set 0 only", name, set[v[1]])
			}
			l.Bindings = max(l.Bindings, int(b)+1)
			if ms, ok := block(v[0]); ok {
				l.Blocks[int(b)] = ms
			}
		case storagePushConst:
			ms, ok := block(v[0])
			if !ok {
				return corrupt("push-constant variable is not a struct with member offsets")
			}
			for i, m := range ms {
				if m.Size != 4 || m.Type == "array" || m.Type == "other" {
					return Layout{}, fmt.Errorf("vulkan: shader %s: push-constant member %d is not a 32-bit scalar", name, i)
				}
				l.PushSize = max(l.PushSize, m.Offset+m.Size)
			}
			l.Push = ms
		}
	}
	return l, nil
}
