// Lets a CUDA C kernel that uses only blockIdx/threadIdx/blockDim/gridDim,
// arithmetic and atomicAdd (1-D blocks, 1-D or 2-D grids) compile with g++ and run on the CPU. The
// launcher (emulator.py) sets the indices of each (block, thread) and calls
// the kernel once per thread, serially, so atomicAdd is a plain add.
#include <cmath>
#include <cstdint>

struct dim3 { unsigned int x, y, z; };

static dim3 blockIdx, threadIdx, blockDim, gridDim;

#define __global__
#define __device__ inline
#define __host__
#define __forceinline__
#define __restrict__
#pragma GCC diagnostic ignored "-Wunknown-pragmas"

static inline float atomicAdd(float* p, float v) {
    float old = *p;
    *p = old + v;
    return old;
}

extern "C" void cuda_emulator_set(unsigned int gx, unsigned int gy,
                                  unsigned int bx, unsigned int by,
                                  unsigned int bdx, unsigned int tx) {
    gridDim.x = gx; gridDim.y = gy; gridDim.z = 1;
    blockDim.x = bdx; blockDim.y = 1; blockDim.z = 1;
    blockIdx.x = bx; blockIdx.y = by; blockIdx.z = 0;
    threadIdx.x = tx; threadIdx.y = 0; threadIdx.z = 0;
}
