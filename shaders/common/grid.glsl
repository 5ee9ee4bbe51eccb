// common/grid.glsl: the workgroup size and the flat indices of the host's dispatch grid.
//
// Defines
//   the workgroup layout: local_size_x = WG, specialization constant 0 (default 64); the
//     host picks WG per pipeline, so shared arrays are sized by WG and any WG must work;
//   WG          gl_WorkGroupSize.x;
//   flatIndex() gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(gl_NumWorkGroups.x·WG),
//               the thread's flat index: past maxComputeWorkGroupCount[0] groups the host
//               spreads the groups over a 2-D grid (gpu.Device.Grid), rows of
//               gl_NumWorkGroups.x groups;
//   flatGroup() gl_WorkGroupID.x + gl_WorkGroupID.y·gl_NumWorkGroups.x, the same for a
//               shader with one workgroup per output value.
// Every shader checks flatIndex() (or flatGroup()) against its element count first: the
// last row of the grid runs past it.
#ifndef COMMON_GRID_GLSL
#define COMMON_GRID_GLSL

layout(local_size_x = 64, local_size_x_id = 0) in;

#define WG gl_WorkGroupSize.x

uint flatIndex() {
    return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}

uint flatGroup() {
    return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
}

#endif
