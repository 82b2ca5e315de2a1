"""Reference values for tests/train/distill_loss_test.cpp: the distillation loss and its gradient
computed by PyTorch, fp64, on seeded random logits. Prints one JSON object:
{"temperature", "alpha", "student" [N][V], "teacher" [N][V], "targets" [N] (-100: ignored),
 "loss", "kl", "cross_entropy", "grad" [N][V]}.
loss = alpha * T^2 * sum_rows kl_div(log q_T, log p_T, log_target=True) + (1 - alpha) * CE sum, over
counted rows; kl without the T^2 factor; grad = d loss / d student logits (autograd)."""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(18)
N, V, T, ALPHA = 7, 13, 2.5, 0.7
student = (torch.randn(N, V, dtype=torch.float64) * 2).requires_grad_()
teacher = torch.randn(N, V, dtype=torch.float64) * 2
targets = torch.randint(V, (N,))
targets[[1, 4]] = -100
counted = targets != -100

log_q = F.log_softmax(student / T, dim=-1)
log_p = F.log_softmax(teacher / T, dim=-1)
kl_rows = F.kl_div(log_q, log_p, reduction="none", log_target=True).sum(-1)
kl = kl_rows[counted].sum()
ce = F.cross_entropy(student, targets, ignore_index=-100, reduction="sum")
loss = ALPHA * T * T * kl + (1 - ALPHA) * ce
loss.backward()
print(json.dumps({"temperature": T, "alpha": ALPHA, "student": student.detach().tolist(),
                  "teacher": teacher.tolist(), "targets": targets.tolist(), "loss": loss.item(),
                  "kl": kl.item(), "cross_entropy": ce.item(), "grad": student.grad.tolist()}))
