package gpu

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

// layout is what a compute shader's SPIR-V says about its interface: the number of
// set-0 buffer bindings (highest binding + 1), the push-constant block's size in bytes and
// members, and the members of the block bound at each binding.
type layout struct {
	bindings, pushSize int
	push               []member         // the push-constant block, in declaration order
	blocks             map[int][]member // binding → its buffer block's members
}

// member is one member of a block: its byte offset, its size in bytes (a scalar's; 0 for
// an array or anything else) and its type: "uint", "int", "float", "array" (fixed or
// runtime) or "other".
type member struct {
	offset, size int
	typ          string
}

// String reads e.g. "uint32 at byte 4" or "array at byte 0".
func (m member) String() string {
	if m.typ == "array" || m.typ == "other" {
		return fmt.Sprintf("%s at byte %d", m.typ, m.offset)
	}
	return fmt.Sprintf("%s%d at byte %d", m.typ, 8*m.size, m.offset)
}

// checkSPIRV reports whether code looks like a SPIR-V module.
func checkSPIRV(name string, code []byte) error {
	if len(code) < 20 || len(code)%4 != 0 || binary.LittleEndian.Uint32(code) != spirvMagic {
		return fmt.Errorf("gpu: shader %s.spv is corrupt (%d bytes; want a multiple of 4 starting with magic 0x%08x)", name, len(code), spirvMagic)
	}
	return nil
}

// reflectSPIRV reads the interface of a compute shader. Push-constant members must be 32-bit
// scalars (the project's convention); anything else is an error naming the shader.
func reflectSPIRV(name string, code []byte) (layout, error) {
	if err := checkSPIRV(name, code); err != nil {
		return layout{}, err
	}
	corrupt := func(why string) (layout, error) {
		return layout{}, fmt.Errorf("gpu: shader %s.spv is corrupt: %s", name, why)
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
	block := func(ptrType uint32) ([]member, bool) {
		st := pointee[ptrType]
		ms, ok := members[st]
		if !ok {
			return nil, false
		}
		out := make([]member, len(ms))
		for m, t := range ms {
			off, ok := offsets[st][uint32(m)]
			if !ok {
				return nil, false
			}
			tn := typeName[t]
			if tn == "" {
				tn = "other"
			}
			out[m] = member{offset: int(off), size: scalarSize[t], typ: tn}
		}
		return out, true
	}
	l := layout{blocks: map[int][]member{}}
	for _, v := range vars {
		switch v[2] {
		case storageStorageBuf, storageUniform:
			b, ok := binding[v[1]]
			if !ok {
				continue
			}
			if set[v[1]] != 0 {
				return layout{}, fmt.Errorf("gpu: shader %s uses descriptor set %d; the host binds set 0 only", name, set[v[1]])
			}
			l.bindings = max(l.bindings, int(b)+1)
			if ms, ok := block(v[0]); ok {
				l.blocks[int(b)] = ms
			}
		case storagePushConst:
			ms, ok := block(v[0])
			if !ok {
				return corrupt("push-constant variable is not a struct with member offsets")
			}
			for i, m := range ms {
				if m.size != 4 || m.typ == "array" || m.typ == "other" {
					return layout{}, fmt.Errorf("gpu: shader %s: push-constant member %d is not a 32-bit scalar", name, i)
				}
				l.pushSize = max(l.pushSize, m.offset+m.size)
			}
			l.push = ms
		}
	}
	return l, nil
}
