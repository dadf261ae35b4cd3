from tests.stripe_server.forms import decode, merged_metadata


def test_nested_hashes_and_indexed_lists_decode_like_stripe() -> None:
    body = (
        "customer=cus_1&items[0][price]=price_a&items[0][quantity]=2"
        "&items[1][price]=price_b&metadata[env]=dev&subscription_details[items][0][id]=si_1"
    )
    assert decode(body) == {
        "customer": "cus_1",
        "items": [{"price": "price_a", "quantity": "2"}, {"price": "price_b"}],
        "metadata": {"env": "dev"},
        "subscription_details": {"items": [{"id": "si_1"}]},
    }


def test_bracket_lists_append_in_order() -> None:
    assert decode("expand[]=latest_invoice&expand[]=customer") == {
        "expand": ["latest_invoice", "customer"]
    }


def test_indexed_lists_are_ordered_by_index_not_arrival() -> None:
    assert decode("lookup_keys[1]=b&lookup_keys[0]=a")["lookup_keys"] == ["a", "b"]


def test_metadata_with_numeric_keys_stays_a_hash() -> None:
    assert decode("metadata[0]=zero")["metadata"] == {"0": "zero"}


def test_empty_values_survive_decoding_to_mean_unset() -> None:
    assert decode("cancel_at=&metadata[a]=") == {"cancel_at": "", "metadata": {"a": ""}}


def test_metadata_update_removes_emptied_keys_and_clears_on_empty_string() -> None:
    assert merged_metadata({"a": "1", "b": "2"}, {"a": "", "c": "3"}) == {"b": "2", "c": "3"}
    assert merged_metadata({"a": "1"}, "") == {}
