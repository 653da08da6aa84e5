// Small helpers for reading and building CK_ATTRIBUTE templates, shared by the token and by
// tests. Header-only; every reader checks the declared length before touching pValue, because
// a template is untrusted input (base spec §4.1: an attribute value is opaque bytes whose
// length the caller states).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "pkcs11/pkcs11.h"

namespace pqmcp::pkcs11 {

// The first attribute of the given type, or nullptr.
inline const CK_ATTRIBUTE* find_attribute(std::span<const CK_ATTRIBUTE> tmpl,
                                          CK_ATTRIBUTE_TYPE type) noexcept {
  for (const auto& a : tmpl)
    if (a.type == type) return &a;
  return nullptr;
}

// A CK_ULONG value if the attribute is present with exactly sizeof(CK_ULONG) bytes.
inline std::optional<CK_ULONG> ulong_value(const CK_ATTRIBUTE& a) noexcept {
  if (a.pValue == nullptr || a.ulValueLen != sizeof(CK_ULONG)) return std::nullopt;
  CK_ULONG v;
  std::memcpy(&v, a.pValue, sizeof v);
  return v;
}

// A CK_BBOOL value if the attribute is present with exactly one byte holding 0 or 1.
inline std::optional<bool> bool_value(const CK_ATTRIBUTE& a) noexcept {
  if (a.pValue == nullptr || a.ulValueLen != sizeof(CK_BBOOL)) return std::nullopt;
  CK_BBOOL b = *static_cast<const CK_BBOOL*>(a.pValue);
  if (b != CK_TRUE && b != CK_FALSE) return std::nullopt;
  return b == CK_TRUE;
}

inline std::span<const std::uint8_t> bytes_value(const CK_ATTRIBUTE& a) noexcept {
  if (a.pValue == nullptr) return {};
  return {static_cast<const std::uint8_t*>(a.pValue), a.ulValueLen};
}

// A template that owns the storage of its values, so it can outlive the builder that made it.
// Move-only: the CK_ATTRIBUTE pointers refer to the owned buffers, which a move keeps.
class Template {
 public:
  Template() = default;
  Template(Template&&) noexcept = default;
  Template& operator=(Template&&) noexcept = default;
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;
  CK_ATTRIBUTE* data() noexcept { return attrs_.data(); }
  CK_ULONG size() const noexcept { return static_cast<CK_ULONG>(attrs_.size()); }

 private:
  friend class TemplateBuilder;
  std::vector<std::vector<std::uint8_t>> values_;
  std::vector<CK_ATTRIBUTE> attrs_;
};

// Builds templates in tests and clients.
class TemplateBuilder {
 public:
  TemplateBuilder& ulong(CK_ATTRIBUTE_TYPE t, CK_ULONG v) {
    std::vector<std::uint8_t> b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return bytes(t, b);
  }
  TemplateBuilder& boolean(CK_ATTRIBUTE_TYPE t, bool v) {
    return bytes(t, std::vector<std::uint8_t>{static_cast<std::uint8_t>(v ? CK_TRUE : CK_FALSE)});
  }
  TemplateBuilder& bytes(CK_ATTRIBUTE_TYPE t, std::span<const std::uint8_t> v) {
    values_.emplace_back(v.begin(), v.end());
    types_.push_back(t);
    return *this;
  }
  TemplateBuilder& string(CK_ATTRIBUTE_TYPE t, const char* s) {
    return bytes(t, {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)});
  }
  Template build() const {
    Template out;
    out.values_ = values_;
    for (std::size_t i = 0; i < types_.size(); ++i) {
      auto& v = out.values_[i];
      out.attrs_.push_back({types_[i], v.empty() ? nullptr : v.data(), static_cast<CK_ULONG>(v.size())});
    }
    return out;
  }

 private:
  std::vector<CK_ATTRIBUTE_TYPE> types_;
  std::vector<std::vector<std::uint8_t>> values_;
};

}  // namespace pqmcp::pkcs11
