// Placeholder until the compare module lands; replaced by its sources.
namespace gptbench::compare {}
