"""Namespaces and the core vocabulary of DESIGN.md, as IRIs the mapper and queries share."""

from __future__ import annotations

from scholarkg.terms import IRI

SKG = "https://w3id.org/scholarkg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/scholarkg/ontology"
DEFAULT_BASE = "https://w3id.org/scholarkg/id/"
CONCEPTS = "https://w3id.org/scholarkg/concepts/"
CONCEPT_SCHEME = "https://w3id.org/scholarkg/concepts"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
BIBO = "http://purl.org/ontology/bibo/"
FABIO = "http://purl.org/spar/fabio/"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES: dict[str, str] = {
    "skg": SKG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "prov": PROV,
    "skos": SKOS,
    "schema": SCHEMA,
}

TYPE = IRI(RDF + "type")
LABEL = IRI(RDFS + "label")
SAME_AS = IRI(OWL + "sameAs")

# classes
PAPER = IRI(SKG + "Paper")
PERSON = IRI(SKG + "Person")
ORGANIZATION = IRI(SKG + "Organization")
AUTHORSHIP = IRI(SKG + "Authorship")
VENUE = IRI(SKG + "Venue")
PREPRINT_SERVER = IRI(SKG + "PreprintServer")
CONFERENCE = IRI(SKG + "Conference")
JOURNAL = IRI(SKG + "Journal")
WORKSHOP = IRI(SKG + "Workshop")
VERSION = IRI(SKG + "Version")
SOURCE = IRI(SKG + "Source")
PROV_ENTITY = IRI(PROV + "Entity")
CONCEPT = IRI(SKOS + "Concept")

# paper properties
TITLE = IRI(DCTERMS + "title")
ABSTRACT = IRI(DCTERMS + "abstract")
CREATOR = IRI(DCTERMS + "creator")
HAS_AUTHORSHIP = IRI(SKG + "hasAuthorship")
AUTHOR_COUNT = IRI(SKG + "authorCount")
HIDDEN_AUTHOR_COUNT = IRI(SKG + "hiddenAuthorCount")
AUTHOR_LIST_COMPLETE = IRI(SKG + "authorListComplete")
HAS_VERSION = IRI(SKG + "hasVersion")
FIRST_SUBMITTED = IRI(SKG + "firstSubmitted")
LAST_SUBMITTED = IRI(SKG + "lastSubmitted")
ANNOUNCED = IRI(SKG + "announced")
PUBLISHED_IN = IRI(SKG + "publishedIn")
ARXIV_ID = IRI(SKG + "arxivId")
DOI = IRI(SKG + "doi")
HAS_CONCEPT = IRI(SKG + "hasConcept")
WAS_DERIVED_FROM = IRI(PROV + "wasDerivedFrom")
ARXIV_CATEGORY = IRI(SKG + "arxivCategory")
COMMENTS = IRI(SKG + "comments")
JOURNAL_REF = IRI(SKG + "journalRef")
REPORT_NUMBER = IRI(SKG + "reportNumber")
MSC_CLASS = IRI(SKG + "mscClass")
ACM_CLASS = IRI(SKG + "acmClass")
PAGES = IRI(SKG + "pages")
PUBLICATION_YEAR = IRI(SKG + "publicationYear")
CATEGORY = IRI(SKG + "category")
PRIMARY_CATEGORY = IRI(SKG + "primaryCategory")
PAGE = IRI(FOAF + "page")

# authorship, version, agent, source properties
POSITION = IRI(SKG + "position")
NAME_AS_WRITTEN = IRI(SKG + "nameAsWritten")
AUTHOR = IRI(SKG + "author")
GIVEN_NAME_AS_WRITTEN = IRI(SKG + "givenNameAsWritten")
FAMILY_NAME_AS_WRITTEN = IRI(SKG + "familyNameAsWritten")
AFFILIATION_AS_WRITTEN = IRI(SKG + "affiliationAsWritten")
VERSION_NUMBER = IRI(SKG + "versionNumber")
SUBMITTED = IRI(SKG + "submitted")
NAME = IRI(FOAF + "name")
LISTING_SUBJECT = IRI(SKG + "listingSubject")
SOURCE_FORMAT = IRI(SKG + "sourceFormat")
FILE_NAME = IRI(SKG + "fileName")
SHA256 = IRI(SKG + "sha256")
ENTRY_COUNT = IRI(SKG + "entryCount")
HOMEPAGE = IRI(FOAF + "homepage")

# the merged view over several sources (merging.py): a graph that says what it is, and which
# other graphs (the vocabularies) the default graph of queries takes with it
MERGED_VIEW = IRI(SKG + "MergedView")
VIEW_INCLUDES = IRI(SKG + "viewIncludes")
#: How the remote backend's index graph lists scholarkg's graphs, and marks a graph that holds
#: data on its way in (no reader sees it).
SD_NAMED_GRAPH = IRI("http://www.w3.org/ns/sparql-service-description#NamedGraph")
STAGING_GRAPH = IRI("urn:scholarkg:StagingGraph")
