#pragma once
/// @file
/// Symbol visibility. Sluice builds with hidden visibility; these mark the public API.

#if defined(_WIN32)
#define SLUICE_SDK_API
#define SLUICE_API
#else
/// Exported from the SDK library (libsluice-sdk).
#define SLUICE_SDK_API __attribute__((visibility("default")))
/// Exported from the engine library (libsluice).
#define SLUICE_API __attribute__((visibility("default")))
#endif
