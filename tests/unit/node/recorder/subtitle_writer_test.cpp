#include "node/recorder/subtitle_writer.hpp"

#include <catch2/catch.hpp>

namespace {

using winebot::node::adjust_for_pauses;
using winebot::node::build_cues;
using winebot::node::EventPosition;
using winebot::node::format_ass;
using winebot::node::format_vtt;
using winebot::node::RecorderEvent;
using winebot::node::Resolution;

RecorderEvent event_at(std::int64_t t_rel_ms, std::string kind, std::string message,
                       std::int64_t epoch_ms = 0) {
  RecorderEvent event;
  event.t_rel_ms = t_rel_ms;
  event.t_epoch_ms = epoch_ms == 0 ? 1'000'000 + t_rel_ms : epoch_ms;
  event.kind = std::move(kind);
  event.message = std::move(message);
  return event;
}

}  // namespace

TEST_CASE("VTT cues last 3 s or until the next event", "[recorder][subtitles]") {
  const auto cues = build_cues({event_at(1000, "k", "First"), event_at(5000, "k", "Second")});
  const auto vtt = format_vtt(cues);

  CHECK(vtt.rfind("WEBVTT\n\n", 0) == 0);
  CHECK(vtt.find("00:00:01.000 --> 00:00:04.000\n[K] First\n") != std::string::npos);
  CHECK(vtt.find("00:00:05.000 --> 00:00:08.000\n[K] Second\n") != std::string::npos);
}

TEST_CASE("VTT cue ends at the next event when it is sooner", "[recorder][subtitles]") {
  const auto cues = build_cues({event_at(1000, "k", "a"), event_at(2500, "k", "b")});

  REQUIRE(cues.size() == 2);
  CHECK(cues[0].end_ms == 2500);
  CHECK(cues[1].end_ms == 5500);
}

TEST_CASE("Cues are cut at the end of the video", "[recorder][subtitles]") {
  const auto cues = build_cues({event_at(1000, "k", "a"), event_at(4000, "k", "b")}, 4500);

  CHECK(cues[0].end_ms == 4000);
  CHECK(cues[1].end_ms == 4500);
}

TEST_CASE("ASS has size and dialogue lines", "[recorder][subtitles]") {
  auto annotation = event_at(1500, "annotation", "Look here");
  annotation.pos = EventPosition{100, 100, std::nullopt, std::nullopt};
  const auto ass = format_ass(build_cues({annotation}), Resolution{1920, 1080});

  CHECK(ass.find("PlayResX: 1920\n") != std::string::npos);
  CHECK(ass.find("PlayResY: 1080\n") != std::string::npos);
  CHECK(ass.find("Dialogue: 0,0:00:01.50,0:00:04.50,Default,,0,0,0,,[ANNOTATION] Look here\n") !=
        std::string::npos);
  CHECK(ass.find("Dialogue: 1,0:00:01.50,0:00:04.50,Overlay,,0,0,0,,{\\pos(100,100)}Look here\n") !=
        std::string::npos);
}

TEST_CASE("ASS defaults to 1920x1080 without a resolution", "[recorder][subtitles]") {
  const auto ass = format_ass({}, Resolution{});

  CHECK(ass.find("PlayResX: 1920\n") != std::string::npos);
  CHECK(ass.find("PlayResY: 1080\n") != std::string::npos);
}

TEST_CASE("Subtitle text is escaped", "[recorder][subtitles]") {
  const auto cues = build_cues({event_at(0, "note", "a --> b\n\nc <i>{\\b1}")});
  const auto vtt = format_vtt(cues);
  const auto ass = format_ass(cues, Resolution{640, 480});

  CHECK(vtt.find("[NOTE] a --&gt; b  c &lt;i&gt;{\\b1}\n") != std::string::npos);
  CHECK(vtt.find("-->", vtt.find("[NOTE]")) == std::string::npos);
  CHECK(ass.find("[NOTE] a --> b\\N\\Nc <i>(\u29F5b1)\n") != std::string::npos);
}

TEST_CASE("Pause adjustment removes paused spans", "[recorder][subtitles]") {
  const auto adjusted = adjust_for_pauses({
      event_at(0, "recorder_start", "start"),
      event_at(2000, "recorder_pause", "pause"),
      event_at(3000, "annotation", "during the pause"),
      event_at(5000, "recorder_resume", "resume"),
      event_at(6000, "annotation", "after"),
      event_at(7000, "recorder_stop", "stop"),
  });

  REQUIRE(adjusted.size() == 6);
  CHECK(adjusted[1].t_rel_ms == 2000);
  CHECK(adjusted[2].t_rel_ms == 2000);  // inside the span: moved to where the pause began
  CHECK(adjusted[3].t_rel_ms == 2000);
  CHECK(adjusted[4].t_rel_ms == 3000);
  CHECK(adjusted[5].t_rel_ms == 4000);
}

TEST_CASE("Pause adjustment ends an unresumed pause at the stop", "[recorder][subtitles]") {
  const auto adjusted = adjust_for_pauses({
      event_at(0, "recorder_start", "start"),
      event_at(1000, "recorder_pause", "pause"),
      event_at(2500, "annotation", "while paused"),
      event_at(4000, "recorder_stop", "stop"),
  });

  REQUIRE(adjusted.size() == 4);
  CHECK(adjusted[1].t_rel_ms == 1000);
  CHECK(adjusted[2].t_rel_ms == 1000);
  CHECK(adjusted[3].t_rel_ms == 1000);  // the video ends where the pause began
}

TEST_CASE("Pause adjustment pairs by wall clock", "[recorder][subtitles]") {
  const auto adjusted = adjust_for_pauses({
      event_at(9000, "late", "b"),
      event_at(1000, "recorder_resume", "resume before any pause", 500),
      event_at(2000, "recorder_pause", "pause"),
      event_at(3000, "recorder_resume", "resume"),
      event_at(9000, "late", "c"),
  });

  CHECK(adjusted.front().t_rel_ms == 1000);
  CHECK(adjusted[3].message == "b");  // equal times keep their order
  CHECK(adjusted[3].t_rel_ms == 8000);
  CHECK(adjusted[4].message == "c");
}
