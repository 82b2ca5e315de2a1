// Placeholder until the train module lands; replaced by its sources.
namespace gptbench::train {}
