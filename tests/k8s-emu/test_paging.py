"""Unit tests: LIST pagination (limit/continue) as the apiserver pages."""

import unittest

import errors
import paging


def obj(ns, name, labels=None):
    return {"metadata": {"namespace": ns, "name": name,
                         "labels": labels or {}}}


def never_expired(rv):
    return []


class PagingTest(unittest.TestCase):
    def walk(self, items, q):
        """Follow continue tokens; returns (pages, names)."""
        pages, names, q = [], [], dict(q)
        while True:
            out, meta = paging.page(list(items), q, "42", never_expired)
            pages.append((out, meta))
            names += [o["metadata"]["name"] for o in out]
            if "continue" not in meta:
                return pages, names
            q["continue"] = meta["continue"]

    def test_no_limit_is_everything(self):
        items = [obj("a", "x%d" % i) for i in range(5)]
        out, meta = paging.page(items, {}, "7", never_expired)
        self.assertEqual(len(out), 5)
        self.assertEqual(meta, {"resourceVersion": "7"})

    def test_pages_cover_every_object_once_in_key_order(self):
        items = [obj("ns", "o%03d" % i) for i in range(23)]
        pages, names = self.walk(items, {"limit": "5"})
        self.assertEqual(len(pages), 5)
        self.assertEqual(names, sorted(o["metadata"]["name"] for o in items))
        self.assertEqual(pages[0][1]["remainingItemCount"], 18)
        self.assertNotIn("continue", pages[-1][1])
        self.assertEqual(len(pages[-1][0]), 3)

    def test_key_order_is_bytes_of_namespace_slash_name(self):
        # "a-b/x" < "a/x": '-' sorts before '/' (etcd's order).
        items = [obj("a", "x"), obj("a-b", "x")]
        out, _ = paging.page(items, {}, "1", never_expired)
        self.assertEqual([o["metadata"]["namespace"] for o in out],
                         ["a-b", "a"])

    def test_selector_hides_remaining_count(self):
        items = [obj("ns", "o%d" % i) for i in range(4)]
        _, meta = paging.page(items, {"limit": "2", "labelSelector": "a=b"},
                              "3", never_expired)
        self.assertIn("continue", meta)
        self.assertNotIn("remainingItemCount", meta)

    def test_token_answers_with_its_resource_version(self):
        items = [obj("ns", "o%d" % i) for i in range(4)]
        _, meta = paging.page(items, {"limit": "2"}, "9", never_expired)
        _, meta2 = paging.page(items, {"limit": "2",
                                       "continue": meta["continue"]},
                               "15", never_expired)
        self.assertEqual(meta2["resourceVersion"], "9")

    def test_bad_tokens(self):
        for tok in ("!!!", "e30", paging.encode_continue(5, "x")[:-3]):
            with self.assertRaises(errors.ApiError) as cm:
                paging.page([], {"continue": tok}, "1", never_expired)
            self.assertEqual(cm.exception.code, 400)
            self.assertIn("continue key is not valid", cm.exception.message)

    def test_continue_with_resource_version_refused(self):
        tok = paging.encode_continue(5, "ns/a")
        with self.assertRaises(errors.ApiError) as cm:
            paging.page([], {"continue": tok, "resourceVersion": "5"}, "6",
                        never_expired)
        self.assertEqual(cm.exception.code, 400)

    def test_expired_token_is_410(self):
        tok = paging.encode_continue(5, "ns/a")
        with self.assertRaises(errors.ApiError) as cm:
            paging.page([], {"continue": tok}, "900", lambda rv: None)
        self.assertEqual(cm.exception.code, 410)
        self.assertEqual(cm.exception.reason, "Expired")


if __name__ == "__main__":
    unittest.main()
