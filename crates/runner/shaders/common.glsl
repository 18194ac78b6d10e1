// Shared definitions for every vgforge compute kernel.
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_8bit_storage : require

// Invocations per workgroup; Kernel::workgroup() on the Rust side must agree.
#ifndef WG
#define WG 64
#endif
layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

// Dispatches are 2-D over one inference's elements (x can only reach 65535
// groups) and use z for the inference index within a batch.
uint flat_index() {
    return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * WG;
}
uint batch_index() { return gl_WorkGroupID.z; }

// TOSA apply_scale_32: the int64 product and arithmetic shift are what make
// the result bit-exact with the reference interpreter.
int apply_scale_32(int value, int multiplier, int shift, bool double_round) {
    int64_t round = int64_t(1) << (shift - 1);
    if (double_round && shift > 31) {
        round += value >= 0 ? (int64_t(1) << 30) : -(int64_t(1) << 30);
    }
    int64_t r = int64_t(value) * int64_t(multiplier) + round;
    return int(r >> shift);
}
