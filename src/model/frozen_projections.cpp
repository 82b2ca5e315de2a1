// The frozen base's projections held in the compute dtype (frozen_projections.h).
#include "gptbench/model/frozen_projections.h"

#include <c10/core/GradMode.h>  // c10::NoGradGuard

#include "gptbench/model/projection.h"  // ProjectionImpl

namespace gptbench::model {

int64_t hold_frozen_projections_in(CausalLm& model, c10::ScalarType dtype) {
  const c10::NoGradGuard no_grad;
  const at::Tensor lm_head = model.lm_head_weight();
  int64_t converted = 0;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    auto* p = dynamic_cast<ProjectionImpl*>(item.value().get());
    if (p == nullptr) continue;
    const bool dense = !p->is_quantized();
    if (dense && p->weight.is_same(lm_head)) continue;
    if ((dense && p->weight.requires_grad()) || (p->bias.defined() && p->bias.requires_grad())) continue;
    for (at::Tensor* t : {&p->weight, &p->bias}) {
      if (!t->defined() || t->scalar_type() == dtype) continue;
      t->set_data(t->to(dtype));  // the registered parameter is this tensor: it changes with it
      converted += t->numel();
    }
  }
  return converted;
}

}  // namespace gptbench::model
