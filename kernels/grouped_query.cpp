// Grouped-query head folding (see gptbench/kernels/grouped_query.h).
#include "gptbench/kernels/grouped_query.h"

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {

void check_grouped_heads(const char* what, int64_t heads, int64_t kv_heads) {
  GPTBENCH_CHECK(grouped_heads_valid(heads, kv_heads),
                 "{}: {} query heads cannot share {} key/value heads (grouped-query attention needs the query head "
                 "count to be a multiple of the key/value head count)",
                 what, heads, kv_heads);
}

at::Tensor fold_query_groups(const at::Tensor& x, int64_t kv_heads) {
  const int64_t batch = x.size(0), heads = x.size(1), rows = x.size(2), cols = x.size(3);
  check_grouped_heads("fold_query_groups", heads, kv_heads);
  return x.reshape({batch, kv_heads, heads / kv_heads * rows, cols});
}

at::Tensor unfold_query_groups(const at::Tensor& x, int64_t heads) {
  const int64_t batch = x.size(0), kv_heads = x.size(1), cols = x.size(3);
  check_grouped_heads("unfold_query_groups", heads, kv_heads);
  return x.reshape({batch, heads, x.size(2) / (heads / kv_heads), cols});
}

}  // namespace gptbench::kernels
