// Reads the plan JSON (written by workers/engines/native-plan.ts) into the structures of plan.h.
// The plan is produced by our own code from a validated schema, so a malformed plan is a bug: it is
// reported as an error string, never guessed around.
#include "plan.h"

#include <cstdint>

#include "simdjson.h"
#include "time_parse.h"

namespace zpa {

namespace {

using simdjson::dom::element;

// An integer element, or -1 (an invalid value for every use here) when it is not one.
int64_t intOf(element e) {
  int64_t v;
  return e.get_int64().get(v) ? -1 : v;
}

bool readValue(element e, ValueSpec& out, std::string& error);

bool readFields(element arr, FieldList& list, std::string& error) {
  simdjson::dom::array a;
  if (arr.get_array().get(a)) {
    error = "fields is not an array";
    return false;
  }
  for (element fe : a) {
    Field f;
    std::string_view name;
    bool required = false, eventTime = false;
    element value;
    if (fe["name"].get_string().get(name) || fe["required"].get_bool().get(required) ||
        fe["eventTime"].get_bool().get(eventTime) || fe["value"].get(value)) {
      error = "a field lacks name, required, eventTime or value";
      return false;
    }
    f.name = std::string(name);
    f.paddedName = f.name + std::string(7, '\0');
    f.required = required;
    f.eventTime = eventTime;
    if (!readValue(value, f.value, error)) return false;
    list.fields.push_back(std::move(f));
  }
  list.finish();
  return true;
}

bool readValue(element e, ValueSpec& out, std::string& error) {
  int64_t kind;
  if (e["kind"].get_int64().get(kind) || kind < 0 || kind > static_cast<int64_t>(Kind::Object)) {
    error = "a value has no valid kind";
    return false;
  }
  out.kind = static_cast<Kind>(kind);
  int64_t id;
  if (e["id"].get_int64().get(id) || id < 0 || id > INT32_MAX) {
    error = "a value has no valid id";
    return false;
  }
  out.id = static_cast<int32_t>(id);
  if (out.kind == Kind::Timestamp) {
    simdjson::dom::array formats;
    if (e["formats"].get_array().get(formats)) {
      error = "a timestamp has no formats";
      return false;
    }
    for (element fe : formats) {
      TimeFormat f;
      int64_t t;
      if (fe["t"].get_int64().get(t) || t < 0 || t > 2) {
        error = "a time format has no valid type";
        return false;
      }
      f.type = static_cast<TimeFormat::Type>(t);
      if (f.type == TimeFormat::Unix) {
        if (fe["unitNs"].get_int64().get(f.unitNs) || f.unitNs <= 0) {
          error = "a unix format has no unitNs";
          return false;
        }
        out.hasUnix = true;
      } else if (f.type == TimeFormat::Strftime) {
        simdjson::dom::array ops, lits;
        if (fe["ops"].get_array().get(ops) || fe["lits"].get_array().get(lits)) {
          error = "a strftime format has no ops/lits";
          return false;
        }
        for (element o : ops) f.ops.push_back(static_cast<uint8_t>(intOf(o)));
        for (element l : lits) f.literals.push_back(static_cast<uint8_t>(intOf(l)));
        if (f.ops.size() != f.literals.size()) {
          error = "ops and lits differ in length";
          return false;
        }
        f.asctime = isAsctimeFormat(f);
      }
      out.formats.push_back(std::move(f));
    }
  } else if (out.kind == Kind::Array) {
    element el;
    if (e["element"].get(el)) {
      error = "an array has no element";
      return false;
    }
    out.element = std::make_unique<ValueSpec>();
    if (!readValue(el, *out.element, error)) return false;
  } else if (out.kind == Kind::Object) {
    element fields;
    if (e["fields"].get(fields)) {
      error = "an object has no fields";
      return false;
    }
    out.fields = std::make_unique<FieldList>();
    if (!readFields(fields, *out.fields, error)) return false;
  }
  return true;
}

}  // namespace

void FieldList::finish() {
  index.clear();
  // Duplicate names cannot pass the schema validator; if one did, the first wins, as a JS lookup would not
  // distinguish them either.
  requiredCount = 0;
  eventTimeFields.clear();
  for (size_t i = 0; i < fields.size(); i++) {
    index.emplace(std::string_view(fields[i].name), static_cast<int>(i));
    names.add(fields[i].name);
    if (fields[i].required) requiredCount++;
    if (fields[i].eventTime) eventTimeFields.push_back(i);
  }
  state.assign(fields.size(), UNSET);
  eventMs.assign(fields.size(), 0);
  subPath.assign(fields.size(), std::string());
  fail.assign(fields.size(), FailDetail());
}

std::unique_ptr<Plan> loadPlan(std::string_view json, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (parser.parse(padded).get(root)) {
    error = "the plan is not valid JSON";
    return nullptr;
  }
  auto plan = std::make_unique<Plan>();
  simdjson::dom::array schemas, order;
  if (root["schemas"].get_array().get(schemas) || root["auto"].get_array().get(order)) {
    error = "the plan lacks schemas or auto";
    return nullptr;
  }
  plan->schemas.reserve(schemas.size());
  for (element se : schemas) {
    Schema s;
    std::string_view name;
    bool native = false;
    if (se["name"].get_string().get(name) || se["native"].get_bool().get(native)) {
      error = "a schema lacks name or native";
      return nullptr;
    }
    s.name = std::string(name);
    s.native = native;
    if (native) {
      element fields;
      if (se["fields"].get(fields) || !readFields(fields, s.fields, error)) {
        if (error.empty()) error = "a schema lacks fields";
        return nullptr;
      }
    }
    plan->schemas.push_back(std::move(s));
  }
  for (element o : order) {
    const int64_t i = intOf(o);
    if (i < 0 || i >= static_cast<int64_t>(plan->schemas.size())) {
      error = "auto order index out of range";
      return nullptr;
    }
    plan->autoOrder.push_back(static_cast<int>(i));
    if (!plan->schemas[i].native) plan->autoNative = false;
  }
  // The pre-filter: names first (requiredIndex holds views into them, so the vector must not grow after).
  for (int k : plan->autoOrder) {
    std::vector<int> own;
    for (const Field& f : plan->schemas[k].fields.fields) {
      if (!f.required) continue;
      size_t n = 0;
      while (n < plan->requiredNames.size() && plan->requiredNames[n] != f.name) n++;
      if (n == plan->requiredNames.size()) plan->requiredNames.push_back(f.name);
      own.push_back(static_cast<int>(n));
    }
    plan->autoRequired.push_back(std::move(own));
  }
  for (size_t n = 0; n < plan->requiredNames.size(); n++) {
    const std::string_view name = plan->requiredNames[n];
    plan->requiredIndex.emplace(name, static_cast<int>(n));
    plan->requiredFilter.add(name);
  }
  for (Schema& schema : plan->schemas) {
    for (Field& f : schema.fields.fields) {
      auto it = plan->requiredIndex.find(f.name);
      f.requiredName = it == plan->requiredIndex.end() ? -1 : it->second;
    }
  }
  return plan;
}

}  // namespace zpa
