import { describe, expect, it } from "vitest";
import { controlEvent, noteEvent, resumeCursor } from "./note-events.ts";

describe("note events", () => {
  it("carries the note id as the event id, with the note on one data line", () => {
    // Prepare
    const note = {
      id: 42,
      room: "general",
      author: "alice",
      text: "two\nlines",
      sentAt: "2026-11-25T10:00:00.000Z",
    };
    // Act
    const frame = noteEvent(note);
    // Assess
    expect(frame).toBe(
      'id: 42\nevent: note\ndata: {"id":42,"room":"general","author":"alice","text":"two\\nlines","sentAt":"2026-11-25T10:00:00.000Z"}\n\n',
    );
  });

  it("sends control events without an id, so the resume cursor stays", () => {
    expect(controlEvent("session-expired")).toBe("event: session-expired\ndata: {}\n\n");
  });
});

describe("resume cursor", () => {
  it("starts from the beginning of the room by default", () => {
    expect(resumeCursor(undefined, null)).toBe(0);
  });

  it("resumes after Last-Event-ID when the browser reconnects by itself", () => {
    expect(resumeCursor("17", "3")).toBe(17);
  });

  it("resumes after the page's own cursor when it is newer", () => {
    expect(resumeCursor(undefined, "9")).toBe(9);
  });

  it("ignores a cursor that is not a whole number", () => {
    expect(resumeCursor("-1", "1e9")).toBe(0);
    expect(resumeCursor("abc", "")).toBe(0);
  });
});
