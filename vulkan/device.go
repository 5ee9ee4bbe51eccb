package vulkan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	vk "github.com/vulkan-go/vulkan"
)

// Auto as Options.Index lets Open choose the device.
const Auto = -1

// ErrNoDevice is what the errors of Open and Devices are (errors.Is) when this
// machine has no Vulkan device to use: no Vulkan loader, no driver for Vulkan 1.1, no
// physical device, or only device types Options does not allow. Every other error is a
// fault: a broken installation, a bad device index, a driver that fails.
var ErrNoDevice = errors.New("vulkan: no usable Vulkan device")

// noDeviceError is an error with a message of its own that errors.Is reports as ErrNoDevice.
type noDeviceError struct {
	msg string
	err error // what it wraps, or nil
}

func (e *noDeviceError) Error() string        { return e.msg }
func (e *noDeviceError) Unwrap() error        { return e.err }
func (e *noDeviceError) Is(target error) bool { return target == ErrNoDevice }

// noDevice formats as fmt.Errorf does (%w wraps) and marks the error as ErrNoDevice.
func noDevice(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &noDeviceError{msg: err.Error(), err: errors.Unwrap(err)}
}

// Options selects and configures the device Open creates.
type Options struct {
	// Index picks physical device Index (as listed by Devices) explicitly, whatever its
	// type; Auto chooses discrete, then integrated, then virtual GPUs, then a CPU device
	// if AllowCPU.
	Index int
	// AllowCPU lets Auto choose a CPU implementation such as lavapipe (llvmpipe).
	AllowCPU bool
	// Validation enables VK_LAYER_KHRONOS_validation with synchronization validation and
	// collects its messages (see Device.ValidationMessages).
	Validation bool
}

// DeviceInfo describes one physical device.
type DeviceInfo struct {
	Index      int
	Name       string
	Type       string // "discrete", "integrated", "virtual", "cpu" or "other"
	APIVersion string // e.g. "1.3.230"
}

func (i DeviceInfo) String() string {
	return fmt.Sprintf("%d: %s (%s, Vulkan %s)", i.Index, i.Name, i.Type, i.APIVersion)
}

// Limits are the physical-device limits that work is sized by.
type Limits struct {
	MaxComputeWorkGroupCount        [3]uint32
	MaxComputeWorkGroupSize         [3]uint32
	MaxComputeWorkGroupInvocations  uint32
	MaxComputeSharedMemorySize      uint32
	MaxStorageBufferRange           uint32
	MinStorageBufferOffsetAlignment uint64
	MaxPushConstantsSize            uint32
	// TimestampPeriod is the number of nanoseconds per timestamp tick.
	TimestampPeriod float32
	// TimestampValidBits is the compute queue's count of meaningful timestamp bits; 0 means
	// the queue does not support timestamps.
	TimestampValidBits uint32
}

// Device is an open Vulkan logical device with one compute queue. A Device and everything
// made from it are used by one goroutine at a time.
type Device struct {
	instance    vk.Instance
	phys        vk.PhysicalDevice
	dev         vk.Device
	queue       vk.Queue
	queueFamily uint32
	cmdPool     vk.CommandPool
	fence       vk.Fence

	info     DeviceInfo
	Limits   Limits
	memTypes []vk.MemoryPropertyFlags

	debug *debugReporter
	vlog  *validationLog

	kernels   map[kernelKey]*Kernel
	descPools []vk.DescriptorPool
	buffers   map[*Buffer]struct{}
	commands  map[*Commands]struct{}
	queries   map[*QueryPool]struct{}
	staging   *Buffer
	closed    bool
	// lost is set when a wait failed (device lost, or hung past the fence timeout): no more
	// work is submitted, and Close leaks the objects rather than wait on a hung queue.
	lost error
}

func vkErr(what string, r vk.Result) error {
	return fmt.Errorf("vulkan: %s: %w", what, vk.Error(r))
}

var typeNames = map[vk.PhysicalDeviceType]string{
	vk.PhysicalDeviceTypeDiscreteGpu:   "discrete",
	vk.PhysicalDeviceTypeIntegratedGpu: "integrated",
	vk.PhysicalDeviceTypeVirtualGpu:    "virtual",
	vk.PhysicalDeviceTypeCpu:           "cpu",
}

// Devices lists the physical devices the Vulkan loader sees.
func Devices() ([]DeviceInfo, error) {
	if err := loadVulkan(); err != nil {
		return nil, err
	}
	instance, err := createInstance(nil)
	if err != nil {
		return nil, err
	}
	defer vk.DestroyInstance(instance, nil)
	_, infos, err := physicalDevices(instance)
	return infos, err
}

func createInstance(v *validationConfig) (vk.Instance, error) {
	app := vk.ApplicationInfo{
		SType:              vk.StructureTypeApplicationInfo,
		PApplicationName:   "vkcnn\x00",
		ApplicationVersion: vk.MakeVersion(0, 1, 0),
		PEngineName:        "vkcnn\x00",
		EngineVersion:      vk.MakeVersion(0, 1, 0),
		ApiVersion:         vk.MakeVersion(1, 1, 0),
	}
	info := vk.InstanceCreateInfo{
		SType:            vk.StructureTypeInstanceCreateInfo,
		PApplicationInfo: &app,
	}
	if v != nil {
		info.PNext = v.pNext
		info.EnabledLayerCount = uint32(len(v.layers))
		info.PpEnabledLayerNames = v.layers
		info.EnabledExtensionCount = uint32(len(v.extensions))
		info.PpEnabledExtensionNames = v.extensions
	}
	var instance vk.Instance
	if r := vk.CreateInstance(&info, nil, &instance); r != vk.Success {
		if r == vk.ErrorIncompatibleDriver {
			return nil, noDevice("vulkan: vkCreateInstance: no installed Vulkan driver supports Vulkan 1.1 (check the ICD files, e.g. VK_DRIVER_FILES): %w", vk.Error(r))
		}
		return nil, vkErr("vkCreateInstance (Vulkan 1.1)", r)
	}
	if err := vk.InitInstance(instance); err != nil {
		vk.DestroyInstance(instance, nil)
		return nil, fmt.Errorf("vulkan: %w", err)
	}
	return instance, nil
}

func physicalDevices(instance vk.Instance) ([]vk.PhysicalDevice, []DeviceInfo, error) {
	var n uint32
	if r := vk.EnumeratePhysicalDevices(instance, &n, nil); r != vk.Success {
		return nil, nil, vkErr("vkEnumeratePhysicalDevices", r)
	}
	if n == 0 {
		return nil, nil, nil
	}
	pds := make([]vk.PhysicalDevice, n)
	if r := vk.EnumeratePhysicalDevices(instance, &n, pds); r != vk.Success && r != vk.Incomplete {
		return nil, nil, vkErr("vkEnumeratePhysicalDevices", r)
	}
	pds = pds[:n]
	infos := make([]DeviceInfo, n)
	for i, pd := range pds {
		var props vk.PhysicalDeviceProperties
		vk.GetPhysicalDeviceProperties(pd, &props)
		props.Deref()
		t, ok := typeNames[props.DeviceType]
		if !ok {
			t = "other"
		}
		v := vk.Version(props.ApiVersion)
		infos[i] = DeviceInfo{
			Index:      i,
			Name:       vk.ToString(props.DeviceName[:]),
			Type:       t,
			APIVersion: fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Patch()),
		}
	}
	return pds, infos, nil
}

// choose returns the index of the device Options select.
func choose(infos []DeviceInfo, o Options) (int, error) {
	if len(infos) == 0 {
		return 0, noDevice("vulkan: no Vulkan device (devices: none)")
	}
	list := func() string {
		s := make([]string, len(infos))
		for i, d := range infos {
			s[i] = d.String()
		}
		return strings.Join(s, "; ")
	}
	if o.Index >= 0 {
		if o.Index >= len(infos) {
			return 0, fmt.Errorf("vulkan: device index %d out of range (devices: %s)", o.Index, list())
		}
		return o.Index, nil
	}
	if o.Index != Auto {
		return 0, fmt.Errorf("vulkan: device index %d: want %d (automatic) or 0..%d", o.Index, Auto, len(infos)-1)
	}
	order := []string{"discrete", "integrated", "virtual"}
	if o.AllowCPU {
		order = append(order, "cpu")
	}
	for _, t := range order {
		for i, d := range infos {
			if d.Type == t {
				return i, nil
			}
		}
	}
	if !o.AllowCPU && slices.ContainsFunc(infos, func(d DeviceInfo) bool { return d.Type == "cpu" }) {
		return 0, noDevice("vulkan: only a CPU implementation of Vulkan (%s); -device gpu uses it", list())
	}
	return 0, noDevice("vulkan: no usable device (devices: %s)", list())
}

// Open creates the Vulkan instance and a logical device with one compute queue.
func Open(o Options) (*Device, error) {
	if err := loadVulkan(); err != nil {
		return nil, err
	}
	d := &Device{
		kernels:  map[kernelKey]*Kernel{},
		buffers:  map[*Buffer]struct{}{},
		commands: map[*Commands]struct{}{},
		queries:  map[*QueryPool]struct{}{},
	}
	var vc *validationConfig
	if o.Validation {
		var err error
		if vc, err = newValidationConfig(); err != nil {
			// A missing validation layer matters only where there is a device to validate.
			if infos, derr := Devices(); errors.Is(derr, ErrNoDevice) {
				return nil, derr
			} else if derr == nil && len(infos) == 0 {
				return nil, noDevice("vulkan: no Vulkan device (devices: none)")
			}
			return nil, err
		}
		defer vc.free()
	}
	instance, err := createInstance(vc)
	if err != nil {
		return nil, err
	}
	d.instance = instance
	if o.Validation {
		d.vlog = &validationLog{}
		r, err := installDebugReport(instance, d.vlog)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.debug = r
	}
	if err := d.open(o); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Device) open(o Options) error {
	pds, infos, err := physicalDevices(d.instance)
	if err != nil {
		return err
	}
	idx, err := choose(infos, o)
	if err != nil {
		return err
	}
	d.phys, d.info = pds[idx], infos[idx]

	var props vk.PhysicalDeviceProperties
	vk.GetPhysicalDeviceProperties(d.phys, &props)
	props.Deref()
	lim := props.Limits
	lim.Deref()
	d.Limits = Limits{
		MaxComputeWorkGroupCount:        lim.MaxComputeWorkGroupCount,
		MaxComputeWorkGroupSize:         lim.MaxComputeWorkGroupSize,
		MaxComputeWorkGroupInvocations:  lim.MaxComputeWorkGroupInvocations,
		MaxComputeSharedMemorySize:      lim.MaxComputeSharedMemorySize,
		MaxStorageBufferRange:           lim.MaxStorageBufferRange,
		MinStorageBufferOffsetAlignment: uint64(lim.MinStorageBufferOffsetAlignment),
		MaxPushConstantsSize:            lim.MaxPushConstantsSize,
		TimestampPeriod:                 lim.TimestampPeriod,
	}

	var mp vk.PhysicalDeviceMemoryProperties
	vk.GetPhysicalDeviceMemoryProperties(d.phys, &mp)
	mp.Deref()
	for i := uint32(0); i < mp.MemoryTypeCount; i++ {
		mt := mp.MemoryTypes[i]
		mt.Deref()
		d.memTypes = append(d.memTypes, mt.PropertyFlags)
	}

	var nq uint32
	vk.GetPhysicalDeviceQueueFamilyProperties(d.phys, &nq, nil)
	qfs := make([]vk.QueueFamilyProperties, nq)
	vk.GetPhysicalDeviceQueueFamilyProperties(d.phys, &nq, qfs)
	family := -1
	for i := range qfs[:nq] {
		qfs[i].Deref()
		if vk.QueueFlagBits(qfs[i].QueueFlags)&vk.QueueComputeBit != 0 {
			family = i
			d.Limits.TimestampValidBits = qfs[i].TimestampValidBits
			break
		}
	}
	if family < 0 {
		return fmt.Errorf("vulkan: device %s has no compute queue family", d.info)
	}
	d.queueFamily = uint32(family)

	qinfo := vk.DeviceQueueCreateInfo{
		SType:            vk.StructureTypeDeviceQueueCreateInfo,
		QueueFamilyIndex: d.queueFamily,
		QueueCount:       1,
		PQueuePriorities: []float32{1},
	}
	dinfo := vk.DeviceCreateInfo{
		SType:                vk.StructureTypeDeviceCreateInfo,
		QueueCreateInfoCount: 1,
		PQueueCreateInfos:    []vk.DeviceQueueCreateInfo{qinfo},
	}
	var dev vk.Device
	if r := vk.CreateDevice(d.phys, &dinfo, nil, &dev); r != vk.Success {
		return vkErr("vkCreateDevice("+d.info.Name+")", r)
	}
	d.dev = dev
	var q vk.Queue
	vk.GetDeviceQueue(d.dev, d.queueFamily, 0, &q)
	d.queue = q

	pinfo := vk.CommandPoolCreateInfo{
		SType:            vk.StructureTypeCommandPoolCreateInfo,
		Flags:            vk.CommandPoolCreateFlags(vk.CommandPoolCreateResetCommandBufferBit),
		QueueFamilyIndex: d.queueFamily,
	}
	var pool vk.CommandPool
	if r := vk.CreateCommandPool(d.dev, &pinfo, nil, &pool); r != vk.Success {
		return vkErr("vkCreateCommandPool", r)
	}
	d.cmdPool = pool
	fence, err := d.newFence()
	if err != nil {
		return err
	}
	d.fence = fence
	return nil
}

// Name is the physical device's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
func (d *Device) Name() string { return d.info.Name }

// Info describes the physical device in use.
func (d *Device) Info() DeviceInfo { return d.info }

// ValidationMessages returns and clears the messages the validation layer reported since
// the last call; nil when validation is off or all was well.
func (d *Device) ValidationMessages() []string {
	if d.vlog == nil {
		return nil
	}
	return d.vlog.take()
}

// Close waits for the device to go idle and destroys everything made from it, then the
// device and the instance, in reverse order of creation. Calling it again does nothing.
func (d *Device) Close() error {
	if d == nil || d.closed {
		return nil
	}
	d.closed = true
	if d.lost != nil {
		return nil // destroying objects a hung device may still use is undefined
	}
	var errs []error
	if d.dev != nil {
		if r := vk.DeviceWaitIdle(d.dev); r != vk.Success {
			errs = append(errs, vkErr("vkDeviceWaitIdle", r))
		}
		for q := range d.queries {
			q.Destroy()
		}
		for c := range d.commands {
			c.Destroy()
		}
		for b := range d.buffers {
			b.Destroy()
		}
		d.staging = nil
		for _, k := range d.kernels {
			k.destroy()
		}
		d.kernels = nil
		for _, p := range d.descPools {
			vk.DestroyDescriptorPool(d.dev, p, nil)
		}
		d.descPools = nil
		if d.fence != vk.NullFence {
			vk.DestroyFence(d.dev, d.fence, nil)
		}
		if d.cmdPool != vk.NullCommandPool {
			vk.DestroyCommandPool(d.dev, d.cmdPool, nil)
		}
		vk.DestroyDevice(d.dev, nil)
		d.dev = nil
	}
	if d.instance != nil {
		if d.debug != nil {
			d.debug.remove(d.instance)
			d.debug = nil
		}
		vk.DestroyInstance(d.instance, nil)
		d.instance = nil
	}
	return errors.Join(errs...)
}
