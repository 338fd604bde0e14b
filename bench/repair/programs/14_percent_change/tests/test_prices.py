from prices import describe_change, percent_change


def test_price_increase():
    assert percent_change(50, 75) == 50.0


def test_price_decrease_description():
    assert describe_change("Lamp", 80, 60) == "Lamp: down 25.0%"


def test_new_listing_from_zero_price():
    assert describe_change("Widget", 0, 10) == "Widget: new listing"
