import DockerEngine

extension Orchestration {
    /// Wakes waiters when the engine reports an event for a container, so health gating follows
    /// the events stream instead of polling. Each container has a counter of events seen; a waiter
    /// reads the counter, inspects the container, and then waits for the counter to move, so an
    /// event that arrives between the inspect and the wait is never lost.
    actor EventHub {
        private var counters: [String: Int] = [:]
        private var waiters: [Int: (id: String, after: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        private var nextToken = 0
        private var pump: Task<Void, Never>?
        /// Whether the engine's stream is flowing; when it is not, waiters fall back to polling.
        private(set) var streaming = false

        init() {}

        /// Starts consuming the engine's container events for `project`.
        func start(engine: any OrchestrationEngine, project: String) async {
            guard pump == nil else { return }
            do {
                let events = try await engine.containerEvents(project: project)
                streaming = true
                pump = Task { [weak self] in
                    do {
                        for try await event in events {
                            if let id = event.actor?.id { await self?.deliver(id) }
                        }
                    } catch {}
                    await self?.streamEnded()
                }
            } catch {
                streaming = false
            }
        }

        func stop() {
            pump?.cancel()
            pump = nil
            for (_, w) in waiters { w.continuation.resume() }
            waiters.removeAll()
        }

        private func streamEnded() {
            streaming = false
            for (_, w) in waiters { w.continuation.resume() }
            waiters.removeAll()
        }

        func counter(_ id: String) -> Int { counters[id, default: 0] }

        func deliver(_ id: String) {
            counters[id, default: 0] += 1
            let c = counters[id]!
            for (token, w) in waiters where w.id == id && c > w.after {
                waiters.removeValue(forKey: token)
                w.continuation.resume()
            }
        }

        /// Returns when an event newer than `after` arrived for `id`, or after `fallback` (a poll).
        func wait(for id: String, after: Int, fallback: Duration) async {
            if counters[id, default: 0] > after { return }
            let token = nextToken
            nextToken += 1
            let timer = Task { [weak self] in
                try? await Task.sleep(for: fallback)
                await self?.expire(token)
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    waiters[token] = (id, after, continuation)
                }
            } onCancel: {
                Task { await self.expire(token) }
            }
            timer.cancel()
        }

        private func expire(_ token: Int) {
            if let w = waiters.removeValue(forKey: token) { w.continuation.resume() }
        }
    }
}
