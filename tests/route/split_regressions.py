"""Markets (shrunk to the pools that matter) where split_route once returned less than 99.9% of
the grid optimum of tests/route/test_split.py. Each docstring says what the kernel missed;
CASES pairs each market with the max_splits it failed at."""

from __future__ import annotations

from collections.abc import Callable

from .generators import pool_address as _p
from .generators import token as _t
from .market import Market, StableSpec, V2Spec, V3Spec


def thin_pool_behind_a_drained_path() -> tuple[Market, str, str, int]:
    """A ~4e18-deep path (a small StableSwap into a V3 position above the price) fits only
    ~5% of an input that drains the best single path's thin pools: no table part or greedy
    slice was small enough for it, so its set was screened at the single route's value and
    never refined."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(4)),
        (
            V3Spec(
                _p(3),
                _t(4),
                _t(1),
                78100078874113698211823887914,
                -287,
                0,
                3000,
                60,
                ((-600, 0), (780, 34291878987659476992), (3300, -34291878987659476992)),
            ),
            StableSpec(
                _p(5),
                (_t(0), _t(1), _t(2)),
                (15181061029421125633, 10912915811833999361, 21655876628752453633),
                1000,
                1000000,
            ),
            StableSpec(
                _p(6),
                (_t(0), _t(1), _t(2)),
                (3205867522737975590913, 919110709977756860417, 1420729316447289868289),
                10000,
                1000000,
            ),
            StableSpec(
                _p(8),
                (_t(0), _t(1), _t(2)),
                (613398204170345601, 769436380473337473, 891395790246595713),
                200000,
                1000000,
            ),
        ),
        None,
    )
    return market, _t(0), _t(4), 81500000000000000000


def path_that_pays_only_before_the_other() -> tuple[Market, str, str, int]:
    """Two paths cross one V2 pool in opposite directions: the small one adds ~1% only when
    it runs first, before the big one moves that pool; every coarse start left it empty, in
    the order where it cannot run at all."""
    market = Market(
        (_t(1), _t(2), _t(3), _t(4)),
        (
            V3Spec(
                _p(1),
                _t(2),
                _t(1),
                79915979742210541803760626447,
                172,
                333353537901745799168,
                10000,
                200,
                (
                    (-600, 142344419772050718720),
                    (-200, 338893156243778813952),
                    (0, -147884038114083733504),
                    (200, -333353537901745799168),
                ),
            ),
            V2Spec(_p(3), _t(4), _t(2), 43958309759742659002369, 44271688102887244693505, 30),
            V2Spec(_p(6), _t(3), _t(4), 4680166116409465, 1000000000000000001, 100),
            V3Spec(
                _p(7),
                _t(3),
                _t(1),
                1139094037060531163499724476639,
                53315,
                0,
                10000,
                200,
                ((49600, 6612468380372569161728), (51400, -6612468380372569161728), (52800, 0)),
            ),
            V2Spec(_p(11), _t(2), _t(3), 134173060571897856001, 627952211823550977, 100),
        ),
        _t(3),
    )
    return market, _t(4), _t(1), 243000000000000000000000


def pair_at_the_edge_of_capacity() -> tuple[Market, str, str, int]:
    """Both paths must be nearly full (their V3 pools run dry within a few % of the input):
    greedy slices dead-ended on the last slice (and a 1-wei rest, which rounds to nothing,
    failed alone)."""
    market = Market(
        (_t(0), _t(1), _t(2)),
        (
            V3Spec(
                _p(4),
                _t(2),
                _t(1),
                79228162514736562436699937280,
                0,
                0,
                500,
                10,
                (
                    (-300, 9785805194282758144),
                    (-250, -9785805194282758144),
                    (-70, 31300495697896353792),
                    (-10, -31300495697896353792),
                ),
            ),
            V3Spec(
                _p(6),
                _t(2),
                _t(1),
                80453634976292859481384653409,
                307,
                8766742387135034368,
                500,
                10,
                (
                    (120, 8766742387135034368),
                    (500, 8766742387135034368),
                    (560, -8766742387135034368),
                    (1090, -8766742387135034368),
                ),
            ),
            StableSpec(
                _p(8),
                (_t(2), _t(0)),
                (1000000000000000001, 1000000000000000001),
                1000,
                1000000,
            ),
            V2Spec(_p(14), _t(1), _t(2), 1000000000000000001, 996684725841499393, 5),
        ),
        None,
    )
    return market, _t(0), _t(1), 200000000000000000


def path_that_drains_a_shared_pool_first() -> tuple[Market, str, str, int]:
    """One path drains a deep StableSwap pool of a coin, which makes the other path's sale
    of that coin into the same pool pay ~6x more, in that order only: greedy slices and
    tables never see it."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(3), _t(4)),
        (
            StableSpec(
                _p(1),
                (_t(0), _t(1), _t(2)),
                (8962089696682587137, 13057461637311078401, 13057461637311078401),
                200000,
                4000000,
            ),
            V3Spec(
                _p(2),
                _t(3),
                _t(1),
                21882695258470765902759447233,
                -25734,
                3538123217144377769984,
                10000,
                200,
                (
                    (-30800, 3538123217144377769984),
                    (-22200, -3538123217144377769984),
                    (-21800, 1529867320982954573824),
                    (-18000, -1529867320982954573824),
                ),
            ),
            V2Spec(_p(9), _t(4), _t(2), 23950748402217312257, 9277913435070231740417, 5),
            StableSpec(
                _p(10),
                (_t(0), _t(1), _t(2)),
                (20284381402730827087873, 13380357553538950234113, 20182299594846814339073),
                1000,
                4000000,
            ),
            V2Spec(_p(11), _t(4), _t(3), 2581480046115134, 12587484965597702145, 100),
        ),
        _t(3),
    )
    return market, _t(0), _t(3), 161000000000000000000000


def pair_climbing_to_where_a_pool_runs_dry() -> tuple[Market, str, str, int]:
    """Both paths cross one StableSwap pool; run first, the direct one makes the other's coin
    scarce there, so the other pays more with every share moved to the first, right up to
    where its thin V3 pool runs dry (~31% of the input). The coarse pair grid stepped over that
    edge, and the other order (smooth, ~3% lower) won the screening."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(4)),
        (
            V3Spec(
                _p(3),
                _t(4),
                _t(0),
                27265854184439757342306953053,
                -21335,
                13617519002363589296128,
                500,
                10,
                (
                    (-21350, 13615703606653607215104),
                    (-21340, 1815395709982081024),
                    (-21330, -699197979891716325376),
                    (-21310, -12918321022471872970752),
                ),
            ),
            V2Spec(_p(5), _t(2), _t(4), 232617526453497364481, 1956425314193357144065, 100),
            StableSpec(
                _p(7),
                (_t(0), _t(1), _t(2)),
                (1018161203361997057, 1126420240869451009, 1499042748390111745),
                200000,
                1000000,
            ),
            StableSpec(
                _p(9),
                (_t(0), _t(1), _t(2)),
                (29454369127719911425, 45599673866353917953, 71552420351530827777),
                10000,
                1000000,
            ),
        ),
        None,
    )
    return market, _t(1), _t(4), 263000000000000000000


def marginal_step_that_fails_alone() -> tuple[Market, str, str, int]:
    """The total climbs with the first path's share up to ~20% of the input, but adding the
    marginal step (2^-24 of the input) to the first path's share fails at the shares the
    search visits (a leg cannot run at that exact size) while sizes around it run: refinement
    saw no receiver and stopped 0.6% short."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(4), _t(5)),
        (
            V3Spec(
                _p(4),
                _t(5),
                _t(0),
                80230533024397831031418798027,
                251,
                717303319426151612416,
                3000,
                60,
                (
                    (-2100, 294381742439823998976),
                    (-1200, 717303319426151612416),
                    (-360, -294381742439823998976),
                    (540, 0),
                    (1980, -717303319426151612416),
                ),
            ),
            StableSpec(
                _p(7),
                (_t(0), _t(1), _t(2)),
                (1433475841897431297, 1000000000000000001, 626250674849193217),
                10000,
                1000000,
            ),
            V3Spec(
                _p(10),
                _t(2),
                _t(4),
                80023499820273294404272792521,
                199,
                0,
                10000,
                200,
                (
                    (-7800, 6095124706266846330880),
                    (-5400, 438062489821807116288),
                    (-4600, -6095124706266846330880),
                    (-4000, 644791712170645782528),
                    (-3800, -644791712170645782528),
                    (-2000, -438062489821807116288),
                    (-200, 0),
                    (1000, 6095124706266846330880),
                    (11200, -6095124706266846330880),
                ),
            ),
            V2Spec(_p(11), _t(5), _t(1), 1293752405402193756161, 1275093219514209796097, 5),
            V2Spec(_p(12), _t(4), _t(0), 88567495199879364609, 88567495199879364609, 100),
        ),
        None,
    )
    return market, _t(2), _t(1), 1870000000000000000000


def three_paths_through_one_drained_pool() -> tuple[Market, str, str, int]:
    """5e27 into 1e18-deep pools, every path saturated: the value is in the paths' order and
    in a third path taking the bulk; refinement left that path empty and never tried it
    first or last."""
    market = Market(
        (_t(0), _t(1), _t(2)),
        (
            StableSpec(
                _p(7),
                (_t(0), _t(1)),
                (1000000000000000001, 1000000000000000001),
                10000,
                1000000,
            ),
            V2Spec(_p(8), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 30),
            StableSpec(
                _p(9),
                (_t(0), _t(1), _t(2)),
                (780313203208339329, 1000000000000000001, 1000000000000000001),
                10000,
                1000000,
            ),
        ),
        None,
    )
    return market, _t(2), _t(0), 5000000000000000000000000000


def parallel_pools_crowd_out_a_thin_one() -> tuple[Market, str, str, int]:
    """Four interchangeable V2 pools took every refinement slot with the same split,
    crowding out the set with a thin V3 pool above the price (its capacity falls between two
    table parts)."""
    market = Market(
        (_t(0), _t(1)),
        (
            V3Spec(
                _p(0),
                _t(0),
                _t(1),
                80817942229534434682133091862,
                397,
                1495143412934781952,
                10000,
                200,
                (
                    (-1200, 1495143412934781952),
                    (-200, 0),
                    (3200, -1495143412934781952),
                    (3400, 32258136191761264),
                    (13400, -32258136191761264),
                ),
            ),
            StableSpec(
                _p(5),
                (_t(0), _t(1)),
                (1040587350566216833, 1000000000000000001),
                1000,
                1000000,
            ),
            V2Spec(_p(9), _t(0), _t(1), 1000000000000000001, 1000000000000000001, 30),
            V2Spec(_p(10), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 30),
            V2Spec(_p(11), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 30),
            V2Spec(_p(12), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 30),
        ),
        None,
    )
    return market, _t(0), _t(1), 1000000000000000000


def receiver_at_capacity_blocks_refinement() -> tuple[Market, str, str, int]:
    """The widest marginal gap was towards a V3 path already at its capacity, so its line
    search could not move and refinement stopped, with another pair still ~20% apart."""
    market = Market(
        (_t(0), _t(2), _t(3), _t(5)),
        (
            V2Spec(_p(1), _t(2), _t(0), 3999450542892928991233, 3998888505044107788289, 30),
            V3Spec(
                _p(6),
                _t(5),
                _t(2),
                26546616501274464422746293352,
                -21870,
                7867387190758025986048,
                500,
                10,
                (
                    (-22180, 4317659234766887059456),
                    (-22140, 12938137684440039030784),
                    (-22100, -15492843094638512308224),
                    (-21950, 6104433366189612204032),
                    (-21910, 0),
                    (-21750, -1762953824568413782016),
                    (-21680, -6104433366189612204032),
                ),
            ),
            V3Spec(
                _p(8),
                _t(5),
                _t(3),
                6435064476495575011327360012,
                -50214,
                1751578493277052600320,
                500,
                10,
                (
                    (-50550, 1751578493277052600320),
                    (-50250, 0),
                    (-50090, -1751578493277052600320),
                    (-50070, 1751578252882087772160),
                    (-49700, -1751578252882087772160),
                ),
            ),
            V2Spec(_p(10), _t(5), _t(3), 115275110189037682689, 793444230829291009, 100),
            V2Spec(_p(12), _t(3), _t(2), 443132137857489829889, 6977290333517913260033, 5),
        ),
        _t(3),
    )
    return market, _t(5), _t(0), 1680000000000000000000


def incumbent_order_matters() -> tuple[Market, str, str, int]:
    """All paths share a drained V2 pool, so a set's value depends on its order; the
    incumbent's shares valued in the set's sorted order ranked the best set out."""
    market = Market(
        (_t(0), _t(1), _t(2)),
        (
            V2Spec(_p(0), _t(1), _t(0), 4062886155799192065, 3894270602346755585, 30),
            V2Spec(_p(1), _t(2), _t(0), 1000000000000000001, 1005420300842589953, 100),
            StableSpec(
                _p(5),
                (_t(0), _t(1)),
                (1000000000000000001, 1000000000000000001),
                1000,
                1000000,
            ),
            V2Spec(_p(6), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 30),
            V2Spec(_p(7), _t(0), _t(1), 1000000000000000001, 1000000000000000001, 5),
            V2Spec(_p(8), _t(0), _t(1), 1000000000000000001, 1000000000000000001, 5),
        ),
        None,
    )
    return market, _t(2), _t(1), 29000000000000000000


def thin_pool_between_table_parts() -> tuple[Market, str, str, int]:
    """A V3 pool above the price pays best for ~20% of the input, five 1e18 V2 pools share the
    rest. Screening on 1/8 parts could give the V3 pool only 1/8 or 2/8, so sets of three V2
    pools ranked above every set with it, and only those were refined (2.3% short)."""
    market = Market(
        (_t(0), _t(1)),
        (
            V3Spec(
                _p(0),
                _t(0),
                _t(1),
                79228162514264337593543950336,
                0,
                9675436067337818112,
                10000,
                200,
                (
                    (-600, 737520327111328640),
                    (-400, 0),
                    (-200, 19350872134675636224),
                    (0, -10412956394449146752),
                    (200, -9675436067337818112),
                ),
            ),
            V2Spec(_p(7), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 5),
            V2Spec(_p(8), _t(1), _t(0), 1000000000000000001, 1000000000000000001, 100),
            V2Spec(_p(9), _t(0), _t(1), 1000000000000000001, 1000000000000000001, 30),
            V2Spec(_p(10), _t(1), _t(0), 1013587236559419393, 1013587236559419393, 30),
            V2Spec(_p(12), _t(0), _t(1), 1000000000000000001, 1000000000000000001, 5),
        ),
        None,
    )
    return market, _t(0), _t(1), 1000000000000000000


def input_that_saturates_every_path() -> tuple[Market, str, str, int]:
    """1.64e27 in through one V2 pool of 1.5e23 that every path shares: whichever path runs
    first drains it, so the best split gives whole fractions of the input to paths in the right
    order. Marginal moves from the greedy start (tiny shares first, the direct path last) never
    got there (0.82 of the grid)."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(3)),
        (
            V3Spec(
                _p(0),
                _t(2),
                _t(1),
                79228488264468862788549214208,
                0,
                187670927163070029824,
                3000,
                60,
                (
                    (-2400, 16236035647985668096),
                    (-2340, -16236035647985668096),
                    (-1680, 47474699078088957952),
                    (-1380, 47474686046782758912),
                    (-720, 140196228084981071872),
                    (-180, -47474686046782758912),
                    (1140, -47474699078088957952),
                    (2520, -140196228084981071872),
                ),
            ),
            StableSpec(
                _p(1),
                (_t(0), _t(1), _t(2)),
                (5832068286247192577, 6070130686302488577, 5297823277428692993),
                1000,
                4000000,
            ),
            V2Spec(_p(2), _t(3), _t(0), 152072318955527585398785, 151652891988180774944769, 100),
            V2Spec(_p(3), _t(2), _t(0), 1171370543000076812289, 1171370543000076812289, 30),
        ),
        None,
    )
    return market, _t(3), _t(1), 1640000000000000000000000000


def saturated_path_first_drains_the_shared_pool() -> tuple[Market, str, str, int]:
    """3.17e27 into 1e18-1e22 pools: the direct path through the 3-token StableSwap pool should
    run first on a fifth of the input and the two longer ones after it. The kernel kept tiny
    shares for the longer paths ahead of the direct one (0.95 of the grid)."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(3)),
        (
            V2Spec(_p(0), _t(1), _t(0), 1000000000000000001, 977981399433099905, 5),
            StableSpec(
                _p(1),
                (_t(0), _t(1), _t(2)),
                (1399844362056190721, 722347494864154113, 762245665623623553),
                1000,
                1000000,
            ),
            V2Spec(_p(2), _t(3), _t(1), 1000000000000000000001, 983474857118913153, 100),
            V2Spec(_p(3), _t(0), _t(3), 10000000000000000001, 10000000000000000000001, 100),
        ),
        _t(3),
    )
    return market, _t(2), _t(0), 3170000000000000000000000000


def path_that_feeds_another_through_a_shared_pool() -> tuple[Market, str, str, int]:
    """Three paths into one saturated V2 pool, two of them through one 3-token StableSwap pool in
    different directions: the one that runs first (T1->T2 there, ~30% of the input) feeds the
    next (T0->T1 there). The allocation in 24 table parts ranked that set far below the
    refined ones (each path's table is its output alone); in 8 parts, with each start in its
    best order, it ranks first (0.979 of the grid)."""
    market = Market(
        (_t(0), _t(1), _t(2), _t(3)),
        (
            StableSpec(
                _p(0),
                (_t(1), _t(0)),
                (5054284434340292067329, 2761807715742687690753),
                10000,
                4000000,
            ),
            V2Spec(_p(1), _t(3), _t(2), 339780172052250558465, 58895497765826655682561, 100),
            StableSpec(
                _p(2),
                (_t(2), _t(1)),
                (1269356874573642477862913, 638054269905364502708225),
                10000,
                4000000,
            ),
            StableSpec(
                _p(3),
                (_t(0), _t(1), _t(2)),
                (174178409707432312833, 256567880743953956865, 149318375484604383233),
                200000,
                4000000,
            ),
            StableSpec(
                _p(4),
                (_t(0), _t(1), _t(2)),
                (197705126758593134593, 152563118508387926017, 152563118508387926017),
                1000,
                4000000,
            ),
        ),
        None,
    )
    return market, _t(0), _t(3), 34800000000000000000000


CASES: list[tuple[Callable[[], tuple[Market, str, str, int]], int]] = [
    (thin_pool_behind_a_drained_path, 2),
    (path_that_pays_only_before_the_other, 2),
    (pair_at_the_edge_of_capacity, 2),
    (path_that_drains_a_shared_pool_first, 2),
    (pair_climbing_to_where_a_pool_runs_dry, 2),
    (marginal_step_that_fails_alone, 2),
    (three_paths_through_one_drained_pool, 3),
    (parallel_pools_crowd_out_a_thin_one, 3),
    (receiver_at_capacity_blocks_refinement, 3),
    (incumbent_order_matters, 3),
    (thin_pool_between_table_parts, 3),
    (input_that_saturates_every_path, 3),
    (saturated_path_first_drains_the_shared_pool, 3),
    (path_that_feeds_another_through_a_shared_pool, 3),
]
