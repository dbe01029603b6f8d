import Testing

@testable import Orchestration

@Suite("Orchestration.EventHub")
struct EventHubTests {
    @Test("a waiter wakes on an event for its container, not on another container's")
    func wakesOnEvent() async {
        let hub = Orchestration.EventHub()
        let seen = await hub.counter("a")
        let waiter = Task { () -> Int in
            await hub.wait(for: "a", after: seen, fallback: .seconds(30))
            return await hub.counter("a")
        }
        await hub.deliver("b")
        try? await Task.sleep(for: .milliseconds(50))
        await hub.deliver("a")
        let after = await waiter.value
        #expect(after == seen + 1)
        #expect(await hub.counter("b") == 1)
    }

    @Test("an event that arrived before the wait began is not lost")
    func noLostEvent() async {
        let hub = Orchestration.EventHub()
        let seen = await hub.counter("a")
        await hub.deliver("a")
        // Returns at once: the counter already moved past `seen`.
        await hub.wait(for: "a", after: seen, fallback: .seconds(30))
        #expect(await hub.counter("a") == seen + 1)
    }

    @Test("without events a waiter falls back to polling after its fallback delay")
    func fallback() async {
        let hub = Orchestration.EventHub()
        await hub.wait(for: "quiet", after: 0, fallback: .milliseconds(20))
        #expect(await hub.counter("quiet") == 0)
    }
}
