#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node/recorder/recorder_settings.hpp"
#include "node/recorder/session_folder.hpp"

namespace winebot::node {

enum class RecoveryStatus {
  kRecovered,  // the segment was finalised
  kNothing,    // no interrupted segment in the folder
  kRefused,    // a live recorder owns the folder, or the manifest is unusable
  kFailed,     // finalisation ran and failed; the marker stays for another try
};

struct RecoveryResult {
  RecoveryStatus status = RecoveryStatus::kNothing;
  int segment = 0;
  std::string detail;
};

// The segment an interrupted recording or finalisation left behind: the one named by
// segment.current, else (when a finalisation marker exists) the one it names, else nullopt.
std::optional<int> find_interrupted_segment(const SessionFolder& folder);

// Finishes an interrupted segment the way a stop would have: appends a recorder_stop event when
// the events file has none (t_rel_ms measured from the segment manifest's start), then runs
// SegmentFinalizer with `reason` ("manual_recover", "startup", "process_lookup_error"). Refuses
// when recorder.pid names a live process other than `own_pid`. Threading: any thread; the
// caller makes sure its own recorder is not writing to the folder.
RecoveryResult recover_segment(const SessionFolder& folder, const std::string& reason,
                               const InputTraceSettings& traces, int own_pid);

// Session folders under `root` (one level deep) that hold an interrupted segment.
std::vector<SessionFolder> find_interrupted_sessions(const std::filesystem::path& root);

const char* recovery_status_name(RecoveryStatus status);

}  // namespace winebot::node
