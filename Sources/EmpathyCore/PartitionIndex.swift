extension RandomAccessCollection {
    /// The first index whose element satisfies `belongsAfter`, by binary
    /// search: the collection must be partitioned, every element that fails
    /// the predicate before every element that satisfies it (a sorted array
    /// and a "greater than x" test, say). `endIndex` when none does.
    public func partitionIndex(where belongsAfter: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try belongsAfter(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
