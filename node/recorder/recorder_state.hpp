#pragma once

namespace winebot::node {

// The recorder's own state. WineBot's derived status (Recorder::derived_status) adds disabled
// and stalled on top of it.
enum class RecorderState { kIdle, kRecording, kPaused, kStopping };

// Returns "idle", "recording", "paused" or "stopping".
const char* recorder_state_name(RecorderState state);

}  // namespace winebot::node
