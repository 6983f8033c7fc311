"""Go's ``sort.Sort`` (pattern-defeating quicksort, Go 1.19 and later), transliterated.

Helm sorts tag lists with ``sort.Sort(sort.Reverse(semver.Collection(...)))``. ``sort.Sort`` is
not stable: for more than 12 elements, versions of equal precedence (``1.0.0+a``/``1.0.0+b``)
come out in an order that depends on the whole input. To pick the same tag as Helm, chartlock
sorts with the same algorithm, comparison for comparison and swap for swap.

The functions mirror ``src/sort/zsortinterface.go``; ``less(x, y)`` compares two items.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

_MASK64 = (1 << 64) - 1
_UNKNOWN_HINT, _INCREASING_HINT, _DECREASING_HINT = 0, 1, 2


def go_sort(items: list[T], less: Callable[[T, T], bool]) -> None:
    """Sort ``items`` in place exactly as Go's ``sort.Sort`` would."""
    n = len(items)
    if n <= 1:
        return
    _Sorter(items, less).pdqsort(0, n, n.bit_length())


def go_sort_by(items: list[T], keys: list[int]) -> None:
    """``go_sort(items, lambda a, b: key(a) < key(b))`` with the keys given as a parallel list.

    The same comparisons and swaps, one Python call fewer per comparison (the hot loop when a
    10,000-tag list is sorted); ``keys`` is permuted along with ``items``.
    """
    if len(keys) != len(items):
        raise ValueError("go_sort_by: keys and items differ in length")
    n = len(items)
    if n <= 1:
        return
    _KeyedSorter(keys, items).pdqsort(0, n, n.bit_length())


class _Sorter:
    __slots__ = ("data", "less_items")

    def __init__(self, data: list[T], less: Callable[[T, T], bool]) -> None:
        self.data: list[object] = data  # type: ignore[assignment]
        self.less_items: Callable[[object, object], bool] = less  # type: ignore[assignment]

    def less(self, i: int, j: int) -> bool:
        return self.less_items(self.data[i], self.data[j])

    def swap(self, i: int, j: int) -> None:
        d = self.data
        d[i], d[j] = d[j], d[i]

    def insertion_sort(self, a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and self.less(j, j - 1):
                self.swap(j, j - 1)
                j -= 1

    def sift_down(self, lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and self.less(first + child, first + child + 1):
                child += 1
            if not self.less(first + root, first + child):
                return
            self.swap(first + root, first + child)
            root = child

    def heap_sort(self, a: int, b: int) -> None:
        first, lo, hi = a, 0, b - a
        for i in range((hi - 1) // 2, -1, -1):
            self.sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            self.swap(first, first + i)
            self.sift_down(lo, i, first)

    def pdqsort(self, a: int, b: int, limit: int) -> None:
        max_insertion = 12
        was_balanced = True
        was_partitioned = True
        while True:
            length = b - a
            if length <= max_insertion:
                self.insertion_sort(a, b)
                return
            if limit == 0:
                self.heap_sort(a, b)
                return
            if not was_balanced:
                self.break_patterns(a, b)
                limit -= 1
            pivot, hint = self.choose_pivot(a, b)
            if hint == _DECREASING_HINT:
                self.reverse_range(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = _INCREASING_HINT
            if (
                was_balanced
                and was_partitioned
                and hint == _INCREASING_HINT
                and self.partial_insertion_sort(a, b)
            ):
                return
            if a > 0 and not self.less(a - 1, pivot):
                a = self.partition_equal(a, b, pivot)
                continue
            mid, already = self.partition(a, b, pivot)
            was_partitioned = already
            left_len, right_len = mid - a, b - mid
            balance_threshold = length // 8
            if left_len < right_len:
                was_balanced = left_len >= balance_threshold
                self.pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right_len >= balance_threshold
                self.pdqsort(mid + 1, b, limit)
                b = mid

    def partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and self.less(i, a):
            i += 1
        while i <= j and not self.less(j, a):
            j -= 1
        if i > j:
            self.swap(j, a)
            return j, True
        self.swap(i, j)
        i += 1
        j -= 1
        while True:
            while i <= j and self.less(i, a):
                i += 1
            while i <= j and not self.less(j, a):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i += 1
            j -= 1
        self.swap(j, a)
        return j, False

    def partition_equal(self, a: int, b: int, pivot: int) -> int:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not self.less(a, i):
                i += 1
            while i <= j and self.less(a, j):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i += 1
            j -= 1
        return i

    def partial_insertion_sort(self, a: int, b: int) -> bool:
        max_steps, shortest_shifting = 5, 50
        i = a + 1
        for _ in range(max_steps):
            while i < b and not self.less(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < shortest_shifting:
                return False
            self.swap(i, i - 1)
            if i - a >= 2:
                j = i - 1
                while j >= 1:
                    if not self.less(j, j - 1):
                        break
                    self.swap(j, j - 1)
                    j -= 1
            if b - i >= 2:
                j = i + 1
                while j < b:
                    if not self.less(j, j - 1):
                        break
                    self.swap(j, j - 1)
                    j += 1
        return False

    def break_patterns(self, a: int, b: int) -> None:
        length = b - a
        if length >= 8:
            random = length & _MASK64
            modulus = 1 << length.bit_length()
            idx = a + (length // 4) * 2 - 1
            for i in range(3):
                random ^= (random << 13) & _MASK64
                random ^= random >> 17
                random ^= (random << 5) & _MASK64
                other = random & (modulus - 1)
                if other >= length:
                    other -= length
                self.swap(idx - 1 + i, a + other)

    def choose_pivot(self, a: int, b: int) -> tuple[int, int]:
        shortest_ninther, max_swaps = 50, 4 * 3
        length = b - a
        swaps = [0]
        i = a + length // 4 * 1
        j = a + length // 4 * 2
        k = a + length // 4 * 3
        if length >= 8:
            if length >= shortest_ninther:
                i = self.median_adjacent(i, swaps)
                j = self.median_adjacent(j, swaps)
                k = self.median_adjacent(k, swaps)
            j = self.median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, _INCREASING_HINT
        if swaps[0] == max_swaps:
            return j, _DECREASING_HINT
        return j, _UNKNOWN_HINT

    def order2(self, a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if self.less(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def median(self, a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = self.order2(a, b, swaps)
        b, c = self.order2(b, c, swaps)
        a, b = self.order2(a, b, swaps)
        return b

    def median_adjacent(self, a: int, swaps: list[int]) -> int:
        return self.median(a - 1, a, a + 1, swaps)

    def reverse_range(self, a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            self.swap(i, j)
            i += 1
            j -= 1


class _KeyedSorter(_Sorter):
    __slots__ = ("items",)

    def __init__(self, keys: list[int], items: list[T]) -> None:
        self.data = keys  # type: ignore[assignment]
        self.items: list[object] = items  # type: ignore[assignment]

    def less(self, i: int, j: int) -> bool:
        d: list[int] = self.data  # type: ignore[assignment]
        return d[i] < d[j]

    def swap(self, i: int, j: int) -> None:
        d = self.data
        d[i], d[j] = d[j], d[i]
        d = self.items
        d[i], d[j] = d[j], d[i]

    # The hot loops again with the comparisons and swaps inlined (same steps as above; the
    # tests check that go_sort_by makes exactly go_sort's moves).
    def insertion_sort(self, a: int, b: int) -> None:
        k: list[int] = self.data  # type: ignore[assignment]
        it = self.items
        for i in range(a + 1, b):
            j = i
            while j > a and k[j] < k[j - 1]:
                k[j], k[j - 1] = k[j - 1], k[j]
                it[j], it[j - 1] = it[j - 1], it[j]
                j -= 1

    def partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        k: list[int] = self.data  # type: ignore[assignment]
        it = self.items
        k[a], k[pivot] = k[pivot], k[a]
        it[a], it[pivot] = it[pivot], it[a]
        p = k[a]
        i, j = a + 1, b - 1
        while i <= j and k[i] < p:
            i += 1
        while i <= j and not k[j] < p:
            j -= 1
        if i > j:
            k[j], k[a] = k[a], k[j]
            it[j], it[a] = it[a], it[j]
            return j, True
        k[i], k[j] = k[j], k[i]
        it[i], it[j] = it[j], it[i]
        i += 1
        j -= 1
        while True:
            while i <= j and k[i] < p:
                i += 1
            while i <= j and not k[j] < p:
                j -= 1
            if i > j:
                break
            k[i], k[j] = k[j], k[i]
            it[i], it[j] = it[j], it[i]
            i += 1
            j -= 1
        k[j], k[a] = k[a], k[j]
        it[j], it[a] = it[a], it[j]
        return j, False

    def partition_equal(self, a: int, b: int, pivot: int) -> int:
        k: list[int] = self.data  # type: ignore[assignment]
        it = self.items
        k[a], k[pivot] = k[pivot], k[a]
        it[a], it[pivot] = it[pivot], it[a]
        p = k[a]
        i, j = a + 1, b - 1
        while True:
            while i <= j and not p < k[i]:
                i += 1
            while i <= j and p < k[j]:
                j -= 1
            if i > j:
                break
            k[i], k[j] = k[j], k[i]
            it[i], it[j] = it[j], it[i]
            i += 1
            j -= 1
        return i
