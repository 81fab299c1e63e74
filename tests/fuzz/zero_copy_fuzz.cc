// libFuzzer target: any bytes as a zero-copy message. Validation either
// refuses them or everything the view then hands out lies inside them, and
// a valid message written again from its view is the same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "subsystems/platform/zero_copy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using perfkit::platform::MessageBuilder;
  using perfkit::platform::MessageView;
  // An exactly sized, aligned copy: ASan then sees any read past the end.
  std::vector<uint64_t> words((size + 7) / 8);
  auto* bytes = reinterpret_cast<uint8_t*>(words.data());
  if (size > 0) std::memcpy(bytes, data, size);
  auto view = MessageView::Validate(bytes, size);
  if (!view.ok()) return 0;
  const auto inside = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return n == 0 || (b >= bytes && b + n <= bytes + size);
  };
  if (!inside(view->name().data(), view->name().size()) ||
      !inside(view->values().data(), view->values().size_bytes()) || view->size() > size) {
    std::abort();
  }
  // Read every byte the view hands out: ASan catches any outside the copy.
  float sum = 0;
  for (float f : view->values()) sum += f;
  for (char c : view->name()) sum += static_cast<float>(c);
  volatile float sink = sum;
  (void)sink;
  // A message laid out as the builder lays it out must come back identical.
  if (view->size() != MessageBuilder::Bytes(view->name().size(), view->values().size())) return 0;
  std::vector<uint64_t> again_words(words.size() + 1);
  auto* again = reinterpret_cast<uint8_t*>(again_words.data());
  auto builder =
      MessageBuilder::Start(again, again_words.size() * 8, view->name(), view->values().size());
  if (!builder.ok()) std::abort();
  builder->set_id(view->id());
  builder->set_timestamp_ns(view->timestamp_ns());
  builder->set_scale(view->scale());
  builder->set_flags(view->flags());
  if (!view->values().empty()) {
    std::memcpy(builder->values(), view->values().data(), view->values().size_bytes());
  }
  const size_t header_end = view->name().size() + sizeof(perfkit::platform::MessageHeader);
  const size_t values_at = MessageBuilder::ValuesOffset(view->name().size());
  // Only the padding between name and values, and the reserved word, may differ.
  const auto* in = reinterpret_cast<const perfkit::platform::MessageHeader*>(bytes);
  if (in->reserved == 0 && in->name_offset == sizeof(perfkit::platform::MessageHeader) &&
      in->values_offset == values_at &&
      (std::memcmp(again, bytes, header_end) != 0 ||
       std::memcmp(again + values_at, bytes + values_at, view->size() - values_at) != 0)) {
    std::abort();
  }
  return 0;
}
