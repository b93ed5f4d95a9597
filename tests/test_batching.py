import asyncio
import threading
import time

import pytest

from serving.batching import BatcherClosed, DynamicBatcher


def _recording(delay: float = 0.05):
    sizes: list[int] = []

    def run(texts: list[str]) -> list[int]:
        sizes.append(len(texts))
        time.sleep(delay)
        return [len(t) for t in texts]

    return run, sizes


def test_concurrent_requests_share_batches_and_results_stay_in_order():
    async def scenario():
        run, sizes = _recording()
        batcher = DynamicBatcher(run, max_batch_tokens=10_000, max_wait_ms=20)
        batcher.start()
        assert await batcher.submit(["أ" * 8]) == [8]  # a lone request goes alone
        results = await asyncio.gather(*(batcher.submit(["ب" * n, "ج"]) for n in range(1, 9)))
        await batcher.close()
        return sizes, results

    sizes, results = asyncio.run(scenario())
    assert sizes[0] == 1
    assert results == [[n, 1] for n in range(1, 9)]
    assert len(sizes) - 1 < 8  # eight concurrent requests needed fewer than eight model batches
    assert max(sizes) > 2


def test_without_dynamic_batching_each_request_is_its_own_batch():
    async def scenario():
        run, sizes = _recording(0.01)
        batcher = DynamicBatcher(run, enabled=False)
        batcher.start()
        await asyncio.gather(*(batcher.submit(["نص"]) for _ in range(5)))
        await batcher.close()
        return sizes

    assert asyncio.run(scenario()) == [1] * 5


def test_token_budget_bounds_a_batch():
    async def scenario():
        run, sizes = _recording(0.02)
        batcher = DynamicBatcher(run, max_batch_tokens=30, max_wait_ms=10)
        batcher.start()
        await asyncio.gather(*(batcher.submit(["س" * 40]) for _ in range(6)))  # 10 estimated tokens each
        await batcher.close()
        return sizes

    sizes = asyncio.run(scenario())
    assert sum(sizes) == 6 and max(sizes) <= 3


def test_a_failing_batch_fails_its_requests_and_the_batcher_goes_on():
    async def scenario():
        calls = []

        def run(texts):
            calls.append(texts)
            if texts == ["boom"]:
                raise RuntimeError("model failed")
            return texts

        batcher = DynamicBatcher(run, enabled=False)
        batcher.start()
        with pytest.raises(RuntimeError, match="model failed"):
            await batcher.submit(["boom"])
        assert await batcher.submit(["ok"]) == ["ok"]
        await batcher.close()
        with pytest.raises(BatcherClosed):
            await batcher.submit(["late"])

    asyncio.run(scenario())


def test_close_lets_requests_in_flight_finish():
    async def scenario():
        run, _ = _recording(0.05)
        batcher = DynamicBatcher(run, max_wait_ms=1)
        batcher.start()
        pending = [asyncio.create_task(batcher.submit(["نص"])) for _ in range(4)]
        await asyncio.sleep(0)
        await batcher.close()
        return [await p for p in pending]

    assert asyncio.run(scenario()) == [[2]] * 4


def test_a_request_that_breaks_a_shared_batch_fails_alone_and_its_neighbours_get_answers():
    def run(texts: list[str]) -> list[int]:
        time.sleep(0.02)
        if any("سم" in t for t in texts):
            raise ValueError("poison")
        return [len(t) for t in texts]

    async def scenario():
        batcher = DynamicBatcher(run, max_batch_tokens=10_000, max_wait_ms=20)
        batcher.start()
        await batcher.submit(["تحمية"])
        requests = [batcher.submit(["سم"] if n % 4 == 0 else ["نص" * n]) for n in range(1, 13)]
        results = await asyncio.gather(*requests, return_exceptions=True)
        await batcher.close()
        return results

    results = asyncio.run(scenario())
    for n, result in zip(range(1, 13), results, strict=True):
        if n % 4 == 0:
            assert isinstance(result, ValueError)
        else:
            assert result == [2 * n]  # every valid request answered, though it shared a batch with poison


def test_a_small_request_is_answered_while_a_huge_page_is_still_running():
    huge_page = "\n".join(["فقرة طويلة من صفحة ضخمة تتكرر في الأرشيف"] * 500)  # far above the lane's threshold
    release = threading.Event()
    trimmed: list[bool] = []

    def run(texts: list[str]) -> list[int]:
        if any(len(t) > 1000 for t in texts):
            assert release.wait(timeout=10), "the huge page was never released"
        return [len(t) for t in texts]

    async def scenario():
        batcher = DynamicBatcher(run, max_batch_tokens=512, large_request_tokens=512, after_large=lambda: trimmed.append(True))
        batcher.start()
        huge = asyncio.create_task(batcher.submit([huge_page]))
        await asyncio.sleep(0)
        small = await asyncio.wait_for(batcher.submit(["خبر من سطر واحد"]), timeout=5)  # the huge page is still blocked
        assert not huge.done() and not trimmed
        release.set()
        result = await huge
        await batcher.close()
        return small, result

    small, result = asyncio.run(scenario())
    assert small == [len("خبر من سطر واحد")] and result == [len(huge_page)]
    assert trimmed == [True]  # memory handed back once, after the large request


def test_without_the_lane_a_small_request_waits_behind_the_huge_page():
    release = threading.Event()
    order: list[str] = []

    def run(texts: list[str]) -> list[int]:
        if any(len(t) > 1000 for t in texts):
            release.wait(timeout=10)
        order.append("huge" if any(len(t) > 1000 for t in texts) else "small")
        return [len(t) for t in texts]

    async def scenario():
        batcher = DynamicBatcher(run, max_batch_tokens=512, large_request_tokens=None)
        batcher.start()
        huge = asyncio.create_task(batcher.submit(["ك" * 5000]))
        await asyncio.sleep(0.01)
        small = asyncio.create_task(batcher.submit(["سطر"]))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(small), timeout=0.3)
        release.set()
        await asyncio.gather(huge, small)
        await batcher.close()

    asyncio.run(scenario())
    assert order == ["huge", "small"]
