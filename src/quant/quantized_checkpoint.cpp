// write_quantized_safetensors / read_quantized_safetensors (gptbench/quant/quantized_checkpoint.h).
#include "gptbench/quant/quantized_checkpoint.h"

#include <ATen/ATen.h>            // at::from_blob, Tensor methods
#include <c10/util/StringUtil.h>  // c10::str
#include <fmt/format.h>           // fmt::format

#include <nlohmann/json.hpp>  // nlohmann::json

#include <array>        // std::array
#include <cstdint>      // int64_t
#include <optional>     // std::optional
#include <string_view>  // std::string_view
#include <utility>      // std::pair, std::make_pair
#include <vector>       // std::vector

#include "gptbench/io/json_input.h"    // parse_json_strict, json_excerpt
#include "gptbench/io/safetensors.h"   // SafetensorsFile, write_safetensors, DType
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/enum_names.h"  // enum_name, enum_names
#include "gptbench/util/error.h"       // Error, UsageError

namespace gptbench::quant {
namespace {

using nlohmann::json;

// The tensors of a quantized weight, by the suffix its checkpoint name carries.
struct Part {
  const char* suffix;
  at::Tensor QuantizedWeight::*member;
};
constexpr std::array<Part, 6> kParts = {{{".qdata", &QuantizedWeight::data},
                                         {".qscale", &QuantizedWeight::scales},
                                         {".qzero", &QuantizedWeight::zeros},
                                         {".qabsmax", &QuantizedWeight::absmax_codes},
                                         {".qabsmax_scale", &QuantizedWeight::absmax_scales},
                                         {".qabsmax_offset", &QuantizedWeight::absmax_offset}}};

io::DType to_io_dtype(c10::ScalarType t) {
  switch (t) {
    case c10::ScalarType::Float: return io::DType::kF32;
    case c10::ScalarType::Half: return io::DType::kF16;
    case c10::ScalarType::BFloat16: return io::DType::kBF16;
    case c10::ScalarType::Byte: return io::DType::kU8;
    case c10::ScalarType::Char: return io::DType::kI8;
    default: throw Error(fmt::format("cannot write tensors of dtype {}", c10::toString(t)));
  }
}

c10::ScalarType to_scalar_type(io::DType t) {
  switch (t) {
    case io::DType::kF32: return c10::ScalarType::Float;
    case io::DType::kF16: return c10::ScalarType::Half;
    case io::DType::kBF16: return c10::ScalarType::BFloat16;
    case io::DType::kU8: return c10::ScalarType::Byte;
    case io::DType::kI8: return c10::ScalarType::Char;
  }
  throw Error("unreachable dtype");
}

std::optional<io::DType> float_dtype_named(const std::string& name) {
  for (const io::DType t : {io::DType::kF32, io::DType::kF16, io::DType::kBF16}) {
    if (name == io::dtype_name(t)) return t;
  }
  return std::nullopt;
}

// The weight name P of "P.q<part>", or nullopt when `name` has no part suffix.
std::optional<std::pair<std::string, const Part*>> split_part(std::string_view name) {
  const Part* best = nullptr;
  for (const Part& part : kParts) {  // the longest matching suffix (.qabsmax_scale before .qabsmax)
    const std::string_view s = part.suffix;
    if (name.size() > s.size() && name.substr(name.size() - s.size()) == s &&
        (best == nullptr || s.size() > std::string_view(best->suffix).size())) {
      best = &part;
    }
  }
  if (best == nullptr) return std::nullopt;
  return std::make_pair(std::string(name.substr(0, name.size() - std::string_view(best->suffix).size())), best);
}

json spec_json(const QuantizedWeight& w) {
  return json{{"format", enum_name(kQuantFormatNames, w.spec.format)},
              {"group", w.spec.group},
              {"symmetric", w.spec.symmetric},
              {"shape", {w.rows, w.cols}},
              {"dtype", std::string(io::dtype_name(to_io_dtype(w.dtype)))}};
}

// The QuantizedWeight (without tensors) that metadata value `text` of weight `name` declares.
QuantizedWeight parse_spec(const std::string& text, const std::string& where) {
  const json j = io::parse_json_strict(text, where);
  GPTBENCH_CHECK(j.is_object() && j.size() == 5,
                 "{}: must be an object with exactly format, group, symmetric, shape and dtype, got {}", where,
                 io::json_excerpt(j));
  for (const char* key : {"format", "group", "symmetric", "shape", "dtype"}) {
    GPTBENCH_CHECK(j.contains(key), "{}: missing key \"{}\"", where, key);
  }
  QuantizedWeight w;
  const json& format = j["format"];
  GPTBENCH_CHECK(format.is_string(), "{}: \"format\" must be a string, got {}", where, io::json_excerpt(format));
  bool known = false;
  for (const auto& row : kQuantFormatNames) {
    if (format.get<std::string>() == row.name) {
      w.spec.format = row.value;
      known = true;
    }
  }
  GPTBENCH_CHECK(known, "{}: unknown format {} ({})", where, io::json_excerpt(format), enum_names(kQuantFormatNames));
  const json& group = j["group"];
  GPTBENCH_CHECK(group.is_number_integer() && group.get<int64_t>() >= 0 && group.get<int64_t>() <= (1 << 20),
                 "{}: \"group\" must be an integer in [0, 2^20], got {}", where, io::json_excerpt(group));
  w.spec.group = group.get<int64_t>();
  GPTBENCH_CHECK(j["symmetric"].is_boolean(), "{}: \"symmetric\" must be true or false, got {}", where,
                 io::json_excerpt(j["symmetric"]));
  w.spec.symmetric = j["symmetric"].get<bool>();
  const json& shape = j["shape"];
  GPTBENCH_CHECK(shape.is_array() && shape.size() == 2 && shape[0].is_number_integer() &&
                     shape[1].is_number_integer() && shape[0].get<int64_t>() > 0 && shape[1].get<int64_t>() > 0 &&
                     shape[0].get<int64_t>() <= (int64_t{1} << 31) && shape[1].get<int64_t>() <= (int64_t{1} << 31),
                 "{}: \"shape\" must be [N, K] with 0 < N, K <= 2^31, got {}", where, io::json_excerpt(shape));
  w.rows = shape[0].get<int64_t>();
  w.cols = shape[1].get<int64_t>();
  const json& dtype = j["dtype"];
  const auto parsed = dtype.is_string() ? float_dtype_named(dtype.get<std::string>()) : std::nullopt;
  GPTBENCH_CHECK(parsed.has_value(), "{}: \"dtype\" must be \"F32\", \"F16\" or \"BF16\", got {}", where,
                 io::json_excerpt(dtype));
  w.dtype = to_scalar_type(*parsed);
  try {
    const QuantSpec resolved = resolve_spec(w.spec, where);
    GPTBENCH_CHECK(resolved.group == w.spec.group, "{}: \"group\" 0 is not a {} group", where,
                   enum_name(kQuantFormatNames, w.spec.format));
  } catch (const UsageError& e) {
    throw Error(e.what());  // a bad file is a runtime error, not a usage error
  }
  return w;
}

at::Tensor to_tensor(const io::TensorView& view) {
  return at::from_blob(const_cast<std::byte*>(view.data), view.shape,
                       at::TensorOptions().dtype(to_scalar_type(view.dtype)))
      .clone();
}

}  // namespace

void write_quantized_safetensors(const std::filesystem::path& path, const QuantizedTensors& tensors) {
  std::map<std::string, std::string> metadata = {{kQuantVersionKey, kQuantVersion}};
  for (const auto& [key, value] : tensors.metadata) {
    GPTBENCH_CHECK(key.rfind("gptbench.quant", 0) != 0, "{}: metadata key \"{}\" is reserved for the quantization layout",
                   path.string(), key);
    metadata[key] = value;
  }
  std::vector<at::Tensor> keep;  // contiguous CPU copies that the write reads
  std::vector<io::TensorToWrite> out;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    keep.push_back(t.detach().to(at::kCPU).contiguous());
    const at::Tensor& c = keep.back();
    out.push_back({name, to_io_dtype(c.scalar_type()), std::vector<int64_t>(c.sizes().begin(), c.sizes().end()),
                   c.data_ptr(), static_cast<size_t>(c.nbytes())});
  };
  for (const auto& [name, w] : tensors.quantized) {
    check_quantized_weight(w, path.string() + ": weight " + name);
    metadata[kQuantWeightKeyPrefix + name] = spec_json(w).dump();
    for (const Part& part : kParts) {
      if ((w.*part.member).defined()) add(name + part.suffix, w.*part.member);
    }
  }
  for (const auto& [name, t] : tensors.plain) {
    const auto dtype = t.scalar_type();
    GPTBENCH_CHECK(dtype == at::kFloat || dtype == at::kHalf || dtype == at::kBFloat16,
                   "{}: plain tensor {} must be fp32, fp16 or bf16, got {}", path.string(), name, c10::toString(dtype));
    const auto split = split_part(name);
    GPTBENCH_CHECK(!split || tensors.quantized.count(split->first) == 0,
                   "{}: plain tensor {} collides with quantized weight {}", path.string(), name, split->first);
    add(name, t);
  }
  io::write_safetensors(path, out, metadata);  // also refuses duplicate names
}

QuantizedTensors read_quantized_safetensors(const std::filesystem::path& path) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path, io::ByteDTypes::kAccept);
  const std::string source = file.source();
  const auto& meta = file.metadata();
  const auto version = meta.find(kQuantVersionKey);
  GPTBENCH_CHECK(version != meta.end(), "{}: not a gptbench quantized checkpoint (no \"{}\" metadata)", source,
                 kQuantVersionKey);
  GPTBENCH_CHECK(version->second == kQuantVersion, "{}: quantized layout version \"{}\", this build reads \"{}\"",
                 source, version->second, kQuantVersion);
  QuantizedTensors result;
  const std::string prefix = kQuantWeightKeyPrefix;
  for (const auto& [key, value] : meta) {
    if (key.rfind(prefix, 0) == 0) {
      const std::string name = key.substr(prefix.size());
      result.quantized.emplace(name, parse_spec(value, source + ": metadata \"" + key + "\""));
    } else if (key != kQuantVersionKey) {
      result.metadata.emplace(key, value);
    }
  }
  for (const io::TensorView& view : file.tensors()) {
    const auto split = split_part(view.name);
    if (split) {
      const auto found = result.quantized.find(split->first);
      GPTBENCH_CHECK(found != result.quantized.end(), "{}: tensor {} has no \"{}{}\" metadata", source, view.name,
                     prefix, split->first);
      found->second.*(split->second->member) = to_tensor(view);
    } else {
      GPTBENCH_CHECK(view.dtype == io::DType::kF32 || view.dtype == io::DType::kF16 || view.dtype == io::DType::kBF16,
                     "{}: plain tensor {} is {}; only quantized parts (.qdata, ...) may be U8 or I8", source,
                     view.name, io::dtype_name(view.dtype));
      result.plain.emplace(view.name, to_tensor(view));
    }
  }
  for (const auto& [name, w] : result.quantized) check_quantized_weight(w, source + ": weight " + name);
  return result;
}

}  // namespace gptbench::quant
