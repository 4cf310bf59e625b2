// The JSON string escaper of dead-letter lines (see json_escape.cc).
#pragma once

#include <napi.h>

namespace zpa {

Napi::Value EscapeJsonString(const Napi::CallbackInfo& info);

}  // namespace zpa
