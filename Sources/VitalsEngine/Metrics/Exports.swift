// The exposition parser is a target of its own (Foundation only) so libFuzzer can build it alone;
// the engine's users see it as part of the engine.
@_exported import VitalsExposition
