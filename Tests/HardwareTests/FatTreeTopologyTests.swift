import Config
import Hardware
import TestSupport
import Testing

/// The fat tree's tiers, hand-computed, and its pod keys' checks.
@Suite struct FatTreeTopologyTests {
    /// Leaves of 2 nodes, pods of 4, 3:1 at the leaf, 7:1 at the pod.
    static let threeLevels = FatTreeTopology(levels: 3, planes: 1, nodesPerLeaf: 2, oversubscription: 3,
                                             sameLeafLatencySeconds: 2e-6, crossLeafLatencySeconds: 3e-6,
                                             nodesPerPod: 4, podOversubscription: 7, crossPodLatencySeconds: 5e-6)

    @Test func aCollectiveCrossesTheTiersItSpans() {
        let t = Self.threeLevels
        #expect(t.tier(nicGbPerSecond: 42, spanningNodes: 2) == LinkTier(gbPerSecond: 42, latencySeconds: 2e-6))
        #expect(t.tier(nicGbPerSecond: 42, spanningNodes: 3) == LinkTier(gbPerSecond: 14, latencySeconds: 3e-6))
        #expect(t.tier(nicGbPerSecond: 42, spanningNodes: 4) == LinkTier(gbPerSecond: 14, latencySeconds: 3e-6))
        #expect(t.tier(nicGbPerSecond: 42, spanningNodes: 5) == LinkTier(gbPerSecond: 2, latencySeconds: 5e-6))
        var two = t
        two.levels = 2
        #expect(two.tier(nicGbPerSecond: 42, spanningNodes: 1000) == LinkTier(gbPerSecond: 14, latencySeconds: 3e-6))
    }

    /// A message between two nodes is priced by where they sit, not by how many nodes it touches.
    @Test func aMessageCrossesTheTiersBetweenItsNodes() {
        let t = Self.threeLevels   // leaves of 2 nodes, pods of 4
        #expect(t.distance(node: 5, node: 5) == 0 && t.distance(node: 4, node: 5) == 1)
        #expect(t.distance(node: 5, node: 6) == 2 && t.distance(node: 3, node: 4) == 3 && t.distance(node: 0, node: 9) == 3)
        #expect(t.tier(nicGbPerSecond: 42, between: 4, and: 5) == LinkTier(gbPerSecond: 42, latencySeconds: 2e-6))
        #expect(t.tier(nicGbPerSecond: 42, between: 5, and: 6) == LinkTier(gbPerSecond: 14, latencySeconds: 3e-6))
        #expect(t.tier(nicGbPerSecond: 42, between: 3, and: 4) == LinkTier(gbPerSecond: 2, latencySeconds: 5e-6))
    }

    static let sketch = TOMLSketch(sections: [
        ("[topology]", [("kind", "\"fat-tree\""), ("levels", "3"), ("nodesPerLeaf", "2"), ("oversubscription", "1.0"),
                        ("nodesPerPod", "384"), ("podOversubscription", "7.0"),
                        ("sameLeafLatencyUs", "2.8"), ("crossLeafLatencyUs", "3.7"), ("crossPodLatencyUs", "4.6")]),
    ])

    static func decode(_ text: String) throws -> FatTreeTopology {
        let document = try ConfigDocument(text: text, file: "cluster.toml")
        return try FatTreeTopology(table: try #require(try document.root.table("topology")))
    }

    /// The sketch without some `[topology]` keys.
    static func without(_ keys: Set<String>) -> String {
        TOMLSketch(sections: sketch.sections.map { ($0.header, $0.keys.filter { !keys.contains($0.0) }) }).text
    }

    @Test func podKeysDecodeAndDefault() throws {
        let t = try Self.decode(Self.sketch.text)
        #expect(t.nodesPerPod == 384 && t.podOversubscription == 7 && abs(t.crossPodLatencySeconds - 4.6e-6) < 1e-15)
        let defaults = try Self.decode(Self.without(["podOversubscription", "crossPodLatencyUs"]))
        #expect(defaults.podOversubscription == 1 && abs(defaults.crossPodLatencySeconds - 3.7e-6) < 1e-15)
    }

    @Test(arguments: [
        ("[topology]/nodesPerPod", "3", "nodesPerPod"),           // not whole leaves
        ("[topology]/levels", "2", "nodesPerPod"),                // pod keys without a third level
        ("[topology]/podOversubscription", "0.5", "podOversubscription"),
        ("[topology]/crossPodLatencyUs", "1e300", "crossPodLatencyUs"),
        ("[topology]/nodesPerPod", "9223372036854775807", "nodesPerPod"),
    ])
    func badPodKeysAreErrorsNamingTheKey(key: String, value: String, named: String) {
        #expect(throws: ConfigError.self) { try Self.decode(Self.sketch.setting(key, to: value)) }
        do { _ = try Self.decode(Self.sketch.setting(key, to: value)) } catch {
            #expect(String(describing: error).contains(named), "\(error)")
        }
    }

    @Test func threeLevelsNeedAPodSize() {
        #expect(throws: ConfigError.self) { try Self.decode(Self.without(["nodesPerPod"])) }
    }
}
