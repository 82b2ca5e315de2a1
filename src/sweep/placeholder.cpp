// Placeholder until the sweep module lands; replaced by its sources.
namespace gptbench::sweep {}
