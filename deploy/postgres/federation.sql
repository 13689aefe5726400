-- The federation profile's three node databases (one PostgreSQL server for the demo; real
-- agencies each run their own). Run once by the postgres image on first start.
CREATE DATABASE de_node OWNER palermo;
CREATE DATABASE nl_node OWNER palermo;
CREATE DATABASE th_node OWNER palermo;
