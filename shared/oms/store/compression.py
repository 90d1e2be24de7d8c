"""Documents stored as compact binary: JSON, deflated with a preset dictionary of the words orders use.

DynamoDB bills a write per started kilobyte of the item (two in a transaction) and an order is written
about ten times in its life. As a DynamoDB map an order with its timeline takes 3-4 KB (every attribute
name repeated, every null stored); deflated with a dictionary that already holds its field names and
usual values it fits in one kilobyte. The price is that the console shows the document as bytes: what
queries need (keys, status, deadlines) stays in plain attributes beside it.

The first byte names the dictionary. A dictionary is never edited once items were written with it:
add the next one and give it the next number.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

# Field names and recurring values of orders, shipments, payments, timelines and routing explanations,
# most frequent last (deflate reaches the end of the dictionary most cheaply).
_DICTIONARY_1 = (
    b'{"engine":"branch-and-bound","strategy":"single_location","method":"exact","search":{"nodes":'
    b'"candidates":[{"location_id":"","type":"warehouse","distance_km":,"priority":,"rejected":'
    b'"holds only part of the order","holds none of the ordered skus","candidates_omitted":'
    b'"cost":{"shipments":,"distance_km":,"priority":100},"units":,"chosen":true,"score":'
    b'"made_to_order":false,"same_day":false,"express","same_day","standard",'
    b'"customer":{"id":"","email":"@example.com","type":"b2c","company":,"tax_id":},"b2b",'
    b'"shipping_address":{"name":"","line1":"","line2":,"city":"","region":"","postal_code":"",'
    b'"country":"PH","lat":,"lon":},"service_level":"standard","po_number":,"ship_complete":false,'
    b'"hold_id":,"created_at":"2026-","updated_at":"2026-","reason":,"partner_events":["warehouse:evt_",'
    b'"carrier:evt_"],"payment":{"method":"card","status":"authorized","authorized":,"captured":,'
    b'"refunded":0,"authorization_id":"auth_","failure":,"token":"tok_visa"},"invoice","pending",'
    b'"partially_captured","voided","totals":{"subtotal":,"tax":,"shipping":0,"total":},"currency":"PHP",'
    b'"lines":[{"sku":"","quantity":1,"unit_price":,"line_total":,"tax":,"note":}],'
    b'"shipments":[{"shipment_id":"1","location_id":"","status":"allocated","lines":[{"sku":"",'
    b'"quantity":1,"reserved":true}],"service_level":"standard","carrier":"Sandbox Post",'
    b'"tracking_number":"SBX","promised_by":"2026-","build_instructions":,"label_ref":"label_",'
    b'"booking_id":"bkg_","value":,"captured":,"capture_id":"cap_","released_at":"2026-","pack_by":"2026-",'
    b'"built_at":,"packed_at":"2026-","shipped_at":"2026-","delivered_at":"2026-","issue":,'
    b'"release_id":"rel_","rejected_by":[],"sla_missed":false}],"status":"processing","shipped",'
    b'"delivered","partially_shipped","cancelled","rejected","on_hold","accepted","order_id":"ord_",'
    b'"storefront_id":"sf-","timeline":[{"at":"2026-","type":"order.accepted","detail":{"shipments":1,'
    b'"total":,"routing":{}}},{"at":"2026-","type":"fraud.approved","detail":{"score":}},{"at":"2026-",'
    b'"type":"payment.authorized","detail":{"amount":,"method":"card"}},{"at":"2026-",'
    b'"type":"shipment.booked","detail":{"shipment_id":"1","carrier":"Sandbox Post","tracking_number":'
    b'"SBX"}},{"at":"2026-","type":"shipment.released","detail":{"shipment_id":"1","location_id":""}},'
    b'{"at":"2026-","type":"order.processing","detail":{"order_id":"ord_"}},{"at":"2026-",'
    b'"type":"shipment.packed","detail":{"shipment_id":"1"}},{"at":"2026-","type":"payment.captured",'
    b'"detail":{"shipment_id":"1","amount":}},{"at":"2026-","type":"shipment.shipped","detail":'
    b'{"order_id":"ord_","shipment_id":"1","carrier":"Sandbox Post","tracking_number":"SBX"}},'
    b'{"at":"2026-","type":"order.shipped","detail":{"order_id":"ord_"}},{"at":"2026-",'
    b'"type":"shipment.delivered","detail":{"order_id":"ord_","shipment_id":"1"}},{"at":"2026-",'
    b'"type":"order.delivered","detail":{"order_id":"ord_"}}]}'
)
_DICTIONARIES = {1: _DICTIONARY_1}
_CURRENT = 1


def compress(document: Any) -> bytes:
    """The document as its dictionary's number and the deflated compact JSON."""
    # surrogatepass: a lone surrogate in some partner's text must not make an order unsavable.
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    deflate = zlib.compressobj(level=9, wbits=-15, zdict=_DICTIONARIES[_CURRENT])
    return bytes([_CURRENT]) + deflate.compress(text) + deflate.flush()


def expand(blob: bytes) -> Any:
    """The document `compress` stored, with whichever dictionary it was written."""
    inflate = zlib.decompressobj(wbits=-15, zdict=_DICTIONARIES[blob[0]])
    return json.loads((inflate.decompress(blob[1:]) + inflate.flush()).decode("utf-8", "surrogatepass"))
