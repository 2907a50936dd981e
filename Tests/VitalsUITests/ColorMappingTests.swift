import Testing
@testable import VitalsTerminal
import VitalsUI

/// Theme colours on terminals with fewer: a grey stays a grey (never the yellow of warnings),
/// and hues keep their meaning.
@Suite struct ColorMappingTests {
    @Test(arguments: [(88, 88, 88), (127, 127, 127), (150, 150, 160), (200, 200, 200)])
    func greysNeverBecomeAHueOnEightColours(grey: (Int, Int, Int)) {
        let index = ColorMapping.index(.rgb(UInt8(grey.0), UInt8(grey.1), UInt8(grey.2)), colors: 8)
        #expect([0, 7].contains(index), "\(grey) → \(index)")
        let indexed = ColorMapping.index(.indexed(244), colors: 8)
        #expect([0, 7].contains(indexed))
    }

    @Test func huesKeepTheirMeaningOnEightColours() {
        #expect(ColorMapping.index(.rgb(220, 40, 40), colors: 8) == 1, "red stays red")
        #expect(ColorMapping.index(.rgb(230, 200, 30), colors: 8) == 3, "amber is yellow")
        #expect(ColorMapping.index(.rgb(40, 190, 60), colors: 8) == 2, "green stays green")
    }

    @Test func sixteenColoursHaveAGreyOfTheirOwn() {
        #expect(ColorMapping.index(.rgb(127, 127, 127), colors: 16) == 8)
        #expect(ColorMapping.index(.rgb(127, 127, 127), colors: 256) == 244)
    }
}
