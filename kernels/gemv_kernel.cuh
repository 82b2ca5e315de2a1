// The decode GEMV kernel body: out = act(input(x) @ w^T + bias) + residual for 1..8 rows (the tokens
// of one decode step), in one launch, for dense weights (gemv.cu) and packed int8/int4/nf4 weights
// dequantized in registers (gemv_quant.cu). At these sizes a GEMM is a pure weight stream (GPT-2's
// c_fc at M = 1 reads 4.7 MB to do 4.7 MFLOP), so the kernel is shaped to stream the weight once at
// full bandwidth and to fold in everything around it that would otherwise be a launch of its own:
// the LayerNorm or RMSNorm (or SwiGLU's gate) before the projection, the bias, the tanh-GELU, the
// residual add, and (for the qkv projection) the store of the new key and value into the KV cache.
//
// Layout: each block copies the M input rows into shared memory (gating them on the way, and
// normalising them there, one warp per row, fp32 statistics); then each warp owns one output column at a time, its lanes
// streaming 16-byte vectors of that weight row (kUnroll loads in flight per lane; 8 dense elements,
// 16 int8 or 32 4-bit ones per vector) and keeping one fp32 accumulator per input row; a butterfly
// reduction leaves every sum in every lane, and lane r writes row r. Weights are read once per
// launch, the inputs from shared memory.
#pragma once

#include <cuda_bf16.h>  // __nv_bfloat16, __nv_bfloat162
#include <cuda_fp16.h>  // __half, __half2
#include <cuda_runtime.h>

#include <algorithm>  // std::min, std::max
#include <atomic>     // std::atomic
#include <cstdint>    // int64_t, uint8_t, uint32_t, uint64_t

#include "gemv_params.h"       // GemvParams
#include "launch_overlap.cuh"  // overlap::wait_for_previous_grid, allow_dependent_launch, prefetch_l2
#include "ptx.cuh"             // to_float, from_float

namespace gptbench::kernels::gemv {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;       // 16-byte weight vectors in flight per lane
constexpr int kBlocksPerSm = 8;  // grid cap; warps then loop over columns
// Weight bytes one overlapped launch asks the L2 to prefetch (of ~50 MB on H100/H200): the next
// projection's weights arrive while the previous kernel finishes, without evicting what it streams.
constexpr int64_t kPrefetchBudgetBytes = 12ll << 20;

using ptx::from_float;
using ptx::to_float;

// The packed pair type of T and its conversion to two floats.
template <typename T>
struct Pair;
template <>
struct Pair<__half> {
  using type = __half2;
  static __device__ __forceinline__ float2 to_float2(type v) { return __half22float2(v); }
};
template <>
struct Pair<__nv_bfloat16> {
  using type = __nv_bfloat162;
  static __device__ __forceinline__ float2 to_float2(type v) { return __bfloat1622float2(v); }
};

// 8 packed 16-bit elements (one 16-byte vector) to fp32, two at a time.
template <typename T>
__device__ __forceinline__ void unpack8(const uint4& v, float (&f)[8]) {
  const auto* pairs = reinterpret_cast<const typename Pair<T>::type*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 p = Pair<T>::to_float2(pairs[i]);
    f[2 * i] = p.x;
    f[2 * i + 1] = p.y;
  }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// GPT-2's GELU (tanh approximation), in fp32 as ATen computes it.
__device__ __forceinline__ float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.f + tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

// The exact GELU, x * Phi(x).
__device__ __forceinline__ float gelu_erf(float x) { return 0.5f * x * (1.f + erff(x * 0.7071067811865476f)); }

// Row r of shared x := RMSNorm(row) in place as transformers' LlamaRMSNorm computes it: fp32 statistics,
// the normalised value rounded to T, then times gamma in T's precision. By one warp.
template <typename T>
__device__ void rms_norm_row(T* row, int k, const T* gamma, float eps, int lane) {
  float sq = 0.f;
  for (int i = lane; i < k; i += 32) {
    const float v = to_float(row[i]);
    sq += v * v;
  }
  const float rstd = rsqrtf(warp_sum(sq) / static_cast<float>(k) + eps);
  for (int i = lane; i < k; i += 32) {
    row[i] = from_float<T>(to_float(gamma[i]) * to_float(from_float<T>(to_float(row[i]) * rstd)));
  }
}

// SwiGLU's gate of 8 elements: silu(a) * b, each step rounded to T as ATen's silu and mul round it.
template <typename T>
__device__ __forceinline__ uint4 silu_gate8(const uint4& a, const uint4& b) {
  float af[8], bf[8];
  unpack8<T>(a, af);
  unpack8<T>(b, bf);
  uint4 out;
  T* o = reinterpret_cast<T*>(&out);
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const float silu = to_float(from_float<T>(af[j] / (1.f + expf(-af[j]))));
    o[j] = from_float<T>(silu * bf[j]);
  }
  return out;
}

// Row r of shared x := LayerNorm(row) in place (biased variance, like torch), by one warp.
template <typename T>
__device__ void layer_norm_row(T* row, int k, const T* gamma, const T* beta, float eps, int lane) {
  float sum = 0.f;
  for (int i = lane; i < k; i += 32) sum += to_float(row[i]);
  const float mean = warp_sum(sum) / static_cast<float>(k);
  float sq = 0.f;
  for (int i = lane; i < k; i += 32) {
    const float d = to_float(row[i]) - mean;
    sq += d * d;
  }
  const float rstd = rsqrtf(warp_sum(sq) / static_cast<float>(k) + eps);
  for (int i = lane; i < k; i += 32) {
    row[i] = from_float<T>((to_float(row[i]) - mean) * rstd * to_float(gamma[i]) + to_float(beta[i]));
  }
}

// ---- Weight decoders: one 16-byte vector v of weight row n to kElems fp32 values (elements
// [v * kElems, (v + 1) * kElems) of the row), with the arithmetic of quant::dequantize.

template <typename T>
struct DenseWeights {
  static constexpr int kElems = 8;
  static constexpr bool kTables = false;
  static __host__ __device__ int64_t row_bytes(int k) { return static_cast<int64_t>(k) * sizeof(T); }
  static __device__ __forceinline__ void decode(const GemvParams&, int, int, const uint4& raw, const float*,
                                                float (&wf)[kElems]) {
    unpack8<T>(raw, wf);
  }
};

__device__ __forceinline__ float load_scale(const GemvParams& p, int64_t i) {
  const auto* s = static_cast<const uint16_t*>(p.w_scales);
  const uint16_t bits = __ldg(s + i);
  return p.scale_dtype == ElementType::kFp16 ? __half2float(__ushort_as_half(bits))
                                             : __bfloat162float(__ushort_as_bfloat16(bits));
}

struct Int8Weights {
  static constexpr int kElems = 16;
  static constexpr bool kTables = false;
  static __host__ __device__ int64_t row_bytes(int k) { return k; }
  static __device__ __forceinline__ void decode(const GemvParams& p, int n, int, const uint4& raw, const float*,
                                                float (&wf)[kElems]) {
    const float scale = load_scale(p, n);
    const auto* q = reinterpret_cast<const int8_t*>(&raw);
#pragma unroll
    for (int j = 0; j < kElems; ++j) wf[j] = __fmul_rn(static_cast<float>(q[j]), scale);
  }
};

// Nibble j of a 16-byte vector: element 2i in the high nibble of byte i, 2i+1 in the low one.
__device__ __forceinline__ int nibble(const uint4& raw, int j) {
  const auto* b = reinterpret_cast<const uint8_t*>(&raw);
  return (j % 2 == 0) ? (b[j / 2] >> 4) : (b[j / 2] & 15);
}

struct Int4Weights {
  static constexpr int kElems = 32;
  static constexpr bool kTables = false;
  static __host__ __device__ int64_t row_bytes(int k) { return k / 2; }
  static __device__ __forceinline__ void decode(const GemvParams& p, int n, int v, const uint4& raw, const float*,
                                                float (&wf)[kElems]) {
    const int64_t g = static_cast<int64_t>(n) * (p.k / p.group) + (v * kElems) / p.group;
    const float scale = load_scale(p, g);
    const float zero = p.w_zeros != nullptr ? static_cast<float>(__ldg(p.w_zeros + g)) : 8.f;
#pragma unroll
    for (int j = 0; j < kElems; ++j) wf[j] = __fmul_rn(static_cast<float>(nibble(raw, j)) - zero, scale);
  }
};

struct Nf4Weights {
  static constexpr int kElems = 32;
  static constexpr bool kTables = true;  // shared: 16 NF4 values, then the 256-value absmax code
  static __host__ __device__ int64_t row_bytes(int k) { return k / 2; }
  static __device__ __forceinline__ void decode(const GemvParams& p, int n, int v, const uint4& raw,
                                                const float* tables, float (&wf)[kElems]) {
    const int64_t block = (static_cast<int64_t>(n) * p.k + static_cast<int64_t>(v) * kElems) / p.group;
    const float absmax = __fadd_rn(__fmul_rn(tables[16 + __ldg(p.absmax_codes + block)],
                                             __ldg(p.absmax_scales + block / 256)),
                                   __ldg(p.absmax_offset));
#pragma unroll
    for (int j = 0; j < kElems; ++j) wf[j] = __fmul_rn(tables[nibble(raw, j)], absmax);
  }
};

// Shared memory of a launch: kRows input rows of T, then the code tables where the decoder has them.
template <typename T, int kRows, typename W>
size_t shared_bytes(int k) {
  return static_cast<size_t>(kRows) * static_cast<size_t>(k) * sizeof(T) +
         (W::kTables ? kGemvCodeTableFloats * sizeof(float) : 0);
}

// p.rows <= kRows rows; rows beyond p.rows are zeros and never written.
template <typename T, int kRows, typename W>
__global__ void __launch_bounds__(kThreads) gemv_kernel(const GemvParams p) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);  // (kRows, K)
  float* tables = reinterpret_cast<float*>(smem_raw + static_cast<size_t>(kRows) * p.k * sizeof(T));
  const int k = p.k, rows = p.rows;
  const int xvec = k / 8;  // 16-byte vectors per x row
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;

  // Who streams what: a warp per column (column_lanes 32), or the whole block per column
  // (p.block_per_column: column_lanes kThreads, each warp a slice of the row).
  const bool block_per_column = p.block_per_column;
  const int column_lanes = block_per_column ? kThreads : 32;
  const int column_lane = block_per_column ? static_cast<int>(threadIdx.x) : lane;
  const int first_column = block_per_column ? static_cast<int>(blockIdx.x) : static_cast<int>(blockIdx.x) * kWarps + warp;
  const int column_step = block_per_column ? static_cast<int>(gridDim.x) : static_cast<int>(gridDim.x) * kWarps;
  __shared__ float partial[2][kWarps][kRows];  // block_per_column: each warp's sums, double buffered by column
  static_assert(sizeof(partial) <= kGemvStaticSharedBytes, "kGemvMaxSharedBytes leaves room for these");

  // 0. The first kUnroll weight vectors of this thread's first column are loaded before anything else:
  // they depend on no earlier kernel and on no shared memory, so their latency overlaps the input
  // prologue below (and, with an overlapped launch, the previous kernel's tail).
  const int nvec = k / W::kElems;  // 16-byte weight vectors per row
  auto weight_row = [&](int n) {
    return reinterpret_cast<const uint4*>(static_cast<const unsigned char*>(p.w) +
                                          static_cast<int64_t>(n) * W::row_bytes(k));
  };
  uint4 wv[kUnroll];
  auto load_weights = [&](const uint4* w_row, int base) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = base + u * column_lanes;
      wv[u] = v < nvec ? __ldg(w_row + v) : make_uint4(0u, 0u, 0u, 0u);
    }
  };
  bool preloaded = first_column < p.n;
  if (preloaded) load_weights(weight_row(first_column), column_lane);

  // Overlapped launch: the weights depend on no earlier kernel, so their first bytes are requested
  // before waiting for the kernel that produces x; then the next kernel may launch in turn.
  if (p.overlap_launch) {
    const int n0 = first_column;
    if (lane == 0 && (warp == 0 || !block_per_column) && p.prefetch_row_bytes > 0 && n0 < p.n) {
      overlap::prefetch_l2(static_cast<const unsigned char*>(p.w) + static_cast<int64_t>(n0) * W::row_bytes(k),
                           static_cast<uint32_t>(p.prefetch_row_bytes));
    }
    overlap::wait_for_previous_grid();
    overlap::allow_dependent_launch();
  }

  // 1. The input rows into shared memory (SwiGLU's gate applied on the way), and the decoder's tables.
  const T* x = static_cast<const T*>(p.x);
  const bool silu_gate = p.input == GemvInput::kSiluGate;
  for (int i = static_cast<int>(threadIdx.x); i < kRows * xvec; i += kThreads) {
    const int r = i / xvec, c = i % xvec;
    uint4 v = make_uint4(0u, 0u, 0u, 0u);
    if (r < rows) {
      const uint4* row = reinterpret_cast<const uint4*>(x + r * p.x_stride);
      v = silu_gate ? silu_gate8<T>(row[c], row[xvec + c]) : row[c];
    }
    reinterpret_cast<uint4*>(xs + static_cast<int64_t>(r) * k)[c] = v;
  }
  if constexpr (W::kTables) {
    for (int i = static_cast<int>(threadIdx.x); i < kGemvCodeTableFloats; i += kThreads) tables[i] = p.code_tables[i];
  }
  __syncthreads();
  // 2. Their LayerNorm or RMSNorm, rounded to T as the unfused norm's output is.
  if (p.input == GemvInput::kLayerNorm || p.input == GemvInput::kRmsNorm) {
    for (int r = warp; r < rows; r += kWarps) {
      T* row = xs + static_cast<int64_t>(r) * k;
      if (p.input == GemvInput::kLayerNorm) {
        layer_norm_row(row, k, static_cast<const T*>(p.ln_weight), static_cast<const T*>(p.ln_bias), p.ln_eps, lane);
      } else {
        rms_norm_row(row, k, static_cast<const T*>(p.ln_weight), p.ln_eps, lane);
      }
    }
    __syncthreads();
  }

  // 3. One output column per warp at a time.
  constexpr int kChunks = W::kElems / 8;  // 16-byte x vectors per weight vector
  const T* bias = static_cast<const T*>(p.bias);
  const T* residual = static_cast<const T*>(p.residual);
  T* out = static_cast<T*>(p.out);
  int parity = 0;  // block_per_column: which partial[] buffer this column uses
  for (int n = first_column; n < p.n; n += column_step, parity ^= 1) {
    const uint4* w_row = weight_row(n);
    float acc[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[r] = 0.f;
    for (int base = column_lane; base < nvec; base += column_lanes * kUnroll) {
      if (!preloaded) load_weights(w_row, base);  // the first batch of the first column is already here
      preloaded = false;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int v = base + u * column_lanes;
        if (v >= nvec) break;
        float wf[W::kElems];
        W::decode(p, n, v, wv[u], tables, wf);
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            float xf[8];
            unpack8<T>(reinterpret_cast<const uint4*>(xs + static_cast<int64_t>(r) * k)[v * kChunks + c], xf);
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[r] = fmaf(wf[c * 8 + j], xf[j], acc[r]);
          }
        }
      }
    }
    float mine = 0.f;  // lane r keeps row r's sum (a static index per unrolled r: no local memory)
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const float s = warp_sum(acc[r]);
      if (lane == r) mine = s;
    }
    if (block_per_column) {
      // The warps' slices meet in shared memory; warp 0 finishes the column. Two buffers: a warp may
      // write the next column's sums while warp 0 still reads this one's (a barrier per column).
      if (lane < kRows) partial[parity][warp][lane] = mine;
      __syncthreads();
      if (warp != 0) continue;
      mine = 0.f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) mine += lane < kRows ? partial[parity][w][lane] : 0.f;
    }
    if (lane >= rows) continue;
    const int r = lane;
    float v = mine + (bias != nullptr ? to_float(bias[n]) : 0.f);
    if (p.activation == GemvActivation::kGeluTanh) v = gelu_tanh(v);
    if (p.activation == GemvActivation::kGeluErf) v = gelu_erf(v);
    if (p.kv != nullptr && n >= p.kv_col0) {
      const int c = n - p.kv_col0, width = p.heads * p.head_dim;
      if (c < 2 * width) {
        const int which = c / width, h = (c % width) / p.head_dim, d = c % p.head_dim;
        const int64_t at = which * p.kv_strides[0] + r * p.kv_strides[1] + h * p.kv_strides[2] +
                           (*p.kv_pos) * p.kv_strides[3] + d;
        static_cast<T*>(p.kv)[at] = from_float<T>(v);
      }
    }
    if (residual != nullptr) v += to_float(residual[r * p.residual_stride + n]);
    out[r * p.out_stride + n] = from_float<T>(v);
  }
}

// Leading bytes of each first-pass weight row to prefetch so that a launch asks for at most
// kPrefetchBudgetBytes (a multiple of 16; 0 when that leaves too little per row to matter).
inline int prefetch_row_bytes(int64_t row_bytes, int64_t first_pass_rows) {
  const int64_t per_row = std::min(row_bytes, kPrefetchBudgetBytes / std::max<int64_t>(1, first_pass_rows)) / 16 * 16;
  return per_row >= 256 ? static_cast<int>(per_row) : 0;
}

// Blocks of one instance that fit on an SM with `smem` dynamic bytes (1..kBlocksPerSm): the occupancy
// calculator's answer, remembered for the last few sizes (a model has a handful of K), so that launches,
// graph captures included, do not ask again. On a miss it first opts the instance in to x rows at the
// 48 KiB limit plus the kernel's static bytes (a function attribute: it stays set). Per process: all GPUs
// of a process are taken to be alike. 0 when the opt-in fails (the caller returns that error).
template <typename T, int kRows, typename W>
int resident_blocks_per_sm(size_t smem) {
  static std::atomic<uint64_t> cache[4] = {};  // (smem + 1) << 8 | blocks
  std::atomic<uint64_t>& slot = cache[smem % 4];
  const uint64_t seen = slot.load(std::memory_order_relaxed);
  if ((seen >> 8) == smem + 1) return static_cast<int>(seen & 0xff);
  if (smem + kGemvStaticSharedBytes > static_cast<size_t>(kGemvMaxSharedBytes) &&
      cudaFuncSetAttribute(gemv_kernel<T, kRows, W>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(smem)) != cudaSuccess) {
    return 0;
  }
  int per_sm = kBlocksPerSm;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, gemv_kernel<T, kRows, W>, kThreads, smem) != cudaSuccess) {
    (void)cudaGetLastError();  // keep the cap; the launch reports any real problem
    per_sm = kBlocksPerSm;
  }
  per_sm = std::max(1, std::min(per_sm, kBlocksPerSm));
  slot.store(((static_cast<uint64_t>(smem) + 1) << 8) | static_cast<uint64_t>(per_sm), std::memory_order_relaxed);
  return per_sm;
}

template <typename T, int kRows, typename W>
cudaError_t launch_rows(const GemvParams& params, cudaStream_t stream, int num_sms) {
  const size_t smem = shared_bytes<T, kRows, W>(params.k);
  // The grid is what fits on the GPU at once (at most kBlocksPerSm per SM; long x rows in shared memory
  // or many registers fit fewer), so that no block waits for a second wave; the blocks loop over columns.
  const int per_sm = resident_blocks_per_sm<T, kRows, W>(smem);
  if (per_sm == 0) return cudaGetLastError();  // the shared-memory opt-in failed
  const int resident = std::max(1, num_sms) * per_sm;
  GemvParams p = params;
  p.block_per_column = W::row_bytes(p.k) >= kGemvSplitRowBytes;
  const int columns_per_block = p.block_per_column ? 1 : kWarps;
  const int blocks = std::min((p.n + columns_per_block - 1) / columns_per_block, resident);
  if (!p.overlap_launch) {
    gemv_kernel<T, kRows, W><<<blocks, kThreads, smem, stream>>>(p);
    return cudaGetLastError();
  }
  p.prefetch_row_bytes =
      p.prefetch_weights
          ? prefetch_row_bytes(W::row_bytes(p.k),
                               std::min<int64_t>(p.n, static_cast<int64_t>(blocks) * columns_per_block))
          : 0;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(blocks));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  config.attrs = attribute;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, gemv_kernel<T, kRows, W>, p);
}

}  // namespace gptbench::kernels::gemv
