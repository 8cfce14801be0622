// The status codes: exact HRESULT values of the contract, success/failure, readable texts.

#include "enlist/status.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string_view>

namespace {

using namespace enlist;

std::uint32_t bits(hresult hr) {
  return static_cast<std::uint32_t>(hr);
}

TEST(Status, CodesHaveTheExactHresultValuesOfTheContract) {
  EXPECT_EQ(bits(S_OK), 0x00000000U);
  EXPECT_EQ(bits(SYNC_E_INVALID_OPERATION), 0x80041001U);
  EXPECT_EQ(bits(E_POINTER), 0x80004003U);
  EXPECT_EQ(bits(E_INVALIDARG), 0x80070057U);
  EXPECT_EQ(bits(E_OUTOFMEMORY), 0x8007000EU);
  EXPECT_EQ(bits(E_ABORT), 0x80004004U);
  EXPECT_EQ(bits(SYNC_E_INTERNAL_ERROR), 0x8004101DU);
  static_assert(sizeof(hresult) == 4);
}

TEST(Status, TheEndSessionPageSpellingIsAnAliasOfTheHeaderSpelling) {
  static_assert(SYNC_E_INVALIDOPERATION == SYNC_E_INVALID_OPERATION);
}

TEST(Status, OnlySuccessCodesSucceed) {
  static_assert(succeeded(S_OK) && !failed(S_OK));
  static_assert(succeeded(1));  // S_FALSE-like positive codes are successes
  for (hresult hr : {SYNC_E_INVALID_OPERATION, E_POINTER, E_INVALIDARG, E_OUTOFMEMORY, E_ABORT,
                     SYNC_E_INTERNAL_ERROR}) {
    EXPECT_TRUE(failed(hr)) << status_name(hr);
    EXPECT_FALSE(succeeded(hr)) << status_name(hr);
  }
}

TEST(Status, EveryCodeHasItsOwnNameAndMessage) {
  std::set<std::string_view> names;
  std::set<std::string_view> messages;
  for (hresult hr : {S_OK, SYNC_E_INVALID_OPERATION, E_POINTER, E_INVALIDARG, E_OUTOFMEMORY,
                     E_ABORT, SYNC_E_INTERNAL_ERROR}) {
    names.insert(status_name(hr));
    messages.insert(status_message(hr));
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(messages.size(), 7u);
  EXPECT_EQ(status_name(SYNC_E_INVALID_OPERATION), "SYNC_E_INVALID_OPERATION");
  EXPECT_EQ(status_name(E_ABORT), "E_ABORT");
}

TEST(Status, UnknownCodesAreNamedAsUnknown) {
  EXPECT_EQ(status_name(0x1234), "unknown HRESULT");
  EXPECT_EQ(status_message(static_cast<hresult>(0x80001234U)), "unknown status code");
}

}  // namespace
