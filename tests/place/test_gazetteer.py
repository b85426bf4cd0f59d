import pytest
from rapidfuzz import fuzz

from verilens.claims import parse_place
from verilens.errors import UsageError
from verilens.place import gazetteer as g
from verilens.place._regions_ua import UA_REGIONS
from verilens.place.geo import geodesic

# GeoNames coordinates (geonameid 706448 Kherson, 702658 Luhansk, 701822 Mariupol)
KHERSON = (46.63695, 32.61458)
LUHANSK = (48.56814, 39.30553)
MARIUPOL = (47.09514, 37.54131)


@pytest.mark.parametrize(("name", "where"), [
    ("Херсон", KHERSON), ("Kherson", KHERSON), ("ХЕРСОН", KHERSON), ("Cherson", KHERSON),
    ("Луганськ", LUHANSK), ("Луганск", LUHANSK), ("Luhansk", LUHANSK), ("Lugansk", LUHANSK),
    ("Mariupol", MARIUPOL), ("Маріуполь", MARIUPOL), ("Мариуполь", MARIUPOL), ("Mariupol, Ukraine", MARIUPOL),
    ("Маріуполь, Україна", MARIUPOL),
])
def test_required_names_resolve(name, where):
    place = g.resolve_place(name)
    assert (place.lat, place.lon) == pytest.approx(where, abs=1e-4)
    assert place.country == "UA"
    assert place.query == name
    assert place.radius_km >= 2.0


def test_parse_place_uses_gazetteer():
    assert parse_place("Луганськ").name.startswith("Luhansk")
    assert parse_place("46.6,32.6").name is None


@pytest.mark.parametrize("name", ["Kherson Oblast", "Херсонська область", "Херсонская область", "Kherson region",
                                  "Херсонська обл."])
def test_oblast_is_an_area(name):
    place = g.resolve_place(name)
    assert place.name == "Kherson Oblast, Ukraine"
    # the centre lies within the oblast's span, its extent is regional, not urban
    assert geodesic(place.lat, place.lon, *KHERSON).distance_km < 150
    assert 80 < place.radius_km < 300
    cands = g.lookup_exact(name)
    assert cands[0].kind == "region" and cands[0].admin1 == "08"


def test_city_wins_over_area_of_the_same_name_unless_asked():
    assert g.lookup_exact("Luhansk")[0].kind == "city"
    assert g.lookup_exact("Luhansk Oblast")[0].kind == "region"


def test_ua_region_table_joins_the_package_data():
    d = g.data()
    for code, (en, _uk, _ru, _latin) in UA_REGIONS.items():
        voted = d.admin1_voted.get(("UA", code))
        assert voted, code
        assert fuzz.partial_ratio(g.normalise(en), g.normalise(voted)) >= 70 or \
            {g.normalise(en), g.normalise(voted)} in ({"kyiv", "kiev"},), (code, en, voted)


def test_ambiguous_name_lists_ranked_candidates():
    with pytest.raises(UsageError) as exc:
        g.resolve_place("Springfield")
    msg = str(exc.value)
    assert "ambiguous" in msg and "Missouri" in msg and "Illinois" in msg
    # the country narrows it
    assert g.resolve_place("Paris, France").country == "FR"


def test_dominant_name_resolves():
    assert g.resolve_place("Paris").country == "FR"


def test_unknown_name_suggests():
    with pytest.raises(UsageError) as exc:
        g.resolve_place("Khersonn")
    assert "Kherson" in str(exc.value)
    with pytest.raises(UsageError):
        g.resolve_place("Qqqqzzzzxx")


@pytest.mark.parametrize("bad", ["", "   ", "x" * 500, "\x00\x1b[31m", ",,,", "Херсон\u202e"])
def test_hostile_names_never_crash(bad):
    try:
        g.resolve_place(bad)
    except UsageError:
        pass


def test_search_places_autocomplete():
    labels = [c.label() for c in g.search_places("Маріуп", 5)]
    assert labels[0] == "Mariupol, Donetsk, Ukraine"
    assert g.search_places("Kher", 10)[0].matched.startswith("kher")
    assert "Kherson, Kherson, Ukraine" in [c.label() for c in g.search_places("Kher", 10)]
    assert g.search_places("", 5) == []
    assert len(g.search_places("a", 3)) <= 3
    d = g.search_places("Luhansk", 3)[0].to_dict()
    assert {"name", "country", "region", "lat", "lon", "kind", "label"} <= d.keys()


def test_reverse_geocode():
    near = g.reverse_geocode(46.64, 32.6)
    assert near.name == "Kherson" and near.country == "UA" and near.admin1 == "08"
    assert near.distance_km < 5
    assert g.region_of(48.57, 39.31) == ("UA", "14")
    with pytest.raises(ValueError):
        g.reverse_geocode(100, 0)


def test_normalise():
    assert g.normalise("Luhans’k") == g.normalise("luhansk")
    assert g.normalise("Zaporizhzhia-Oblast") == "zaporizhzhia oblast"
    assert g.normalise("Ёлка") == g.normalise("елка")
